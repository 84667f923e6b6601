// `rnn tag truecase`: restores the case of text with a model trained on `rnn tag truecase-data` output.
using System.CommandLine;
using Recurrent.Data;
using Recurrent.Tasks.Tagging;

namespace Recurrent.Cli.Commands;

internal static class TruecaseCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder of 'rnn tag train' on truecasing data (tags U and O).", Required = true };
        var input = new Argument<string?>("file") { Description = "Text to recase (default: standard input), line by line.", Arity = ArgumentArity.ZeroOrOne };
        var threads = CommonOptions.Threads();
        var command = new Command("truecase", "Restore upper case in text (it is lower-cased first), line by line, with a truecasing tagger.") { model, input, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Tagger tagger = Tagger.Load(parse.GetValue(model)!);
            if (!tagger.Config.Tags.Contains(TruecaseData.Upper) || !tagger.Config.Words.Contains(TruecaseData.SpaceToken))
                throw new ArgumentException($"--model {parse.GetValue(model)}: not a truecasing model (its tags are {string.Join(", ", tagger.Config.Tags)}); train one on 'rnn tag truecase-data' output.");
            string? path = parse.GetValue(input);
            string text = path is null ? Console.In.ReadToEnd() : TextFile.ReadUtf8(path);
            var output = parse.InvocationConfiguration.Output;
            foreach (string line in text.TrimEnd('\n').Split('\n'))
            {
                var sequences = TruecaseData.Sequences(line, 200, path ?? "standard input");
                string[][] tags = sequences.Count == 0 ? [] : tagger.Predict(sequences);
                output.WriteLine(string.Join(' ', sequences.Select((s, i) => TruecaseData.Apply(s.Tokens, tags[i]))));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
