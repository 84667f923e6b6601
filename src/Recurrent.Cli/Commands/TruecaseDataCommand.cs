// `rnn tag truecase-data`: makes a character-level truecasing data set (CoNLL) from any text.
using System.CommandLine;
using Recurrent.Data;
using Recurrent.Tasks.Tagging;

namespace Recurrent.Cli.Commands;

internal static class TruecaseDataCommand
{
    public static Command Create()
    {
        var text = new Option<string>("--text") { Description = "A UTF-8 text file (e.g. samples/moby-dick.txt).", Required = true };
        var output = new Option<string>("--out") { Description = "CoNLL file to write (the first --split of the sentences).", Required = true };
        var heldout = new Option<string?>("--heldout") { Description = "CoNLL file for the rest when --split < 1 (default: --out with .test before its extension)." };
        var split = new Option<double?>("--split") { Description = "Fraction of the sentences, in text order, written to --out (default 1: all)." };
        var maxLength = new Option<int?>("--max-len") { Description = "Longest sequence in characters; longer sentences are cut at a space (default 200)." };
        var command = new Command("truecase-data", "Make truecasing data from text: each lower-cased character tagged U (upper case) or O; spaces as <sp>.")
        {
            text, output, heldout, split, maxLength,
        };
        command.SetAction(parse =>
        {
            double fraction = parse.GetValue(split) ?? 1.0;
            if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"--split must be in (0, 1]; got {fraction}.");
            int max = parse.GetValue(maxLength) ?? 200;
            if (max < 8) throw new ArgumentException($"--max-len must be ≥ 8 characters; got {max}.");
            string textPath = parse.GetValue(text)!, outPath = parse.GetValue(output)!;
            var sequences = TruecaseData.Sequences(TextFile.ReadUtf8(textPath), max, textPath);
            int keep = (int)Math.Round(sequences.Count * fraction, MidpointRounding.AwayFromZero);
            string? restPath = null;
            if (keep < sequences.Count)
            {
                restPath = parse.GetValue(heldout) ?? Path.ChangeExtension(outPath, null) + ".test" + Path.GetExtension(outPath);
                if (keep == 0) throw new RecurrentDataException($"{textPath}: only {sequences.Count} sentence(s), so --split {fraction} leaves none for --out.");
            }
            CreateFolderOf(outPath);
            TruecaseData.WriteConll(outPath, sequences.Take(keep));
            var say = parse.InvocationConfiguration.Output;
            say.WriteLine($"{outPath}: {keep:N0} sequences, {sequences.Take(keep).Sum(s => s.Tokens.Length):N0} characters");
            if (restPath is not null)
            {
                CreateFolderOf(restPath);
                TruecaseData.WriteConll(restPath, sequences.Skip(keep));
                say.WriteLine($"{restPath}: {sequences.Count - keep:N0} sequences, {sequences.Skip(keep).Sum(s => s.Tokens.Length):N0} characters");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static void CreateFolderOf(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
    }
}
