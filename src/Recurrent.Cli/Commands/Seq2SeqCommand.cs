// `rnn seq2seq train | translate | eval`: sequence to sequence (encoder-decoder with attention).
using System.CommandLine;
using System.Text.Json;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Tasks.Seq2Seq;

namespace Recurrent.Cli.Commands;

internal static class Seq2SeqCommand
{
    public static Command Create()
    {
        var seq2seq = new Command("seq2seq", "Sequence to sequence: translation, grapheme-to-phoneme, any source<TAB>target pairs.");
        seq2seq.Subcommands.Add(Seq2SeqTrainCommand.Create());
        seq2seq.Subcommands.Add(CreateTranslate());
        seq2seq.Subcommands.Add(CreateEval());
        return seq2seq;
    }

    private sealed class DecodeOptions
    {
        public readonly Option<string> Model = new("--model") { Description = "Model folder written by 'rnn seq2seq train'.", Required = true };
        public readonly Option<int?> Beam = new("--beam") { Description = "Beam width K (default 1: greedy).", CustomParser = r => CommonOptions.ParseInt(r, "--beam", 1, 1000) };
        public readonly Option<int?> MaxLength = new("--max-length") { Description = "Most output tokens (default 2 × source length + 10).", CustomParser = r => CommonOptions.ParseInt(r, "--max-length", 1, 100000) };
        public readonly Option<float?> LengthPenalty = new("--length-penalty") { Description = "α of the beam's length normalisation log p / length^α (default 1)." };
        public readonly Option<bool> Json = new("--json") { Description = "JSON output." };
        public readonly Option<int?> Threads = CommonOptions.Threads();

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Model, Beam, MaxLength, LengthPenalty, Json, Threads }) command.Options.Add(option);
        }

        public TranslateOptions Bind(ParseResult parse)
        {
            float alpha = parse.GetValue(LengthPenalty) ?? 1f;
            if (!(alpha >= 0 && float.IsFinite(alpha))) throw new ArgumentException($"--length-penalty must be a finite number ≥ 0; got {alpha}.");
            return new TranslateOptions(parse.GetValue(Beam) ?? 1, parse.GetValue(MaxLength) ?? 0, alpha);
        }
    }

    private static Command CreateTranslate()
    {
        var d = new DecodeOptions();
        var input = new Option<string?>("--input") { Description = "File with one source per line (default: standard input)." };
        var plot = new Option<string?>("--attention-plot") { Description = "Draw the attention of the first input as a PNG heatmap to this file." };
        var command = new Command("translate", "Translate each input line: one output line per input (greedy or beam search).") { input, plot };
        d.AddTo(command);
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(d.Threads));
            TranslateOptions options = d.Bind(parse);
            string? plotPath = parse.GetValue(plot);
            if (plotPath is not null && !plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--attention-plot {plotPath}: the plot is a PNG; give a file name ending in .png.");
            Seq2SeqModel model = Seq2SeqModel.Load(parse.GetValue(d.Model)!);
            if (plotPath is not null && model.Config.Shape.Attention == Recurrent.Nn.AttentionKind.None)
                throw new ArgumentException("--attention-plot: this model has no attention (trained with --attention none), so there is nothing to draw.");
            string? inputPath = parse.GetValue(input);
            IEnumerable<string> lines = inputPath is null ? ReadLines(Console.In) : TextFile.ReadUtf8(inputPath).Split('\n').SkipLast(1);
            var output = parse.InvocationConfiguration.Output;
            bool first = true, json = parse.GetValue(d.Json);
            foreach (string[] chunk in lines.Chunk(64))
            {
                IReadOnlyList<Translation> translations = model.Translate(chunk, options);
                for (int i = 0; i < chunk.Length; i++)
                {
                    Translation t = translations[i];
                    output.WriteLine(json
                        ? JsonSerializer.Serialize(new TranslateResult(chunk[i], t.Text, t.Tokens, Math.Round(t.LogProbability, 6)), CliJsonContext.Default.TranslateResult)
                        : t.Text);
                    if (first && plotPath is not null)
                    {
                        string[] rows = [.. t.Tokens, Vocabulary.EosToken];
                        AttentionPlot.Save(plotPath, t.SourceTokens, rows.Take(t.Attention!.Length).ToArray(), t.Attention);
                        parse.InvocationConfiguration.Error.WriteLine($"attention of input 1 drawn in {plotPath}");
                    }
                    first = false;
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Lines of a reader; a final line without a newline counts too.</summary>
    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is string line) yield return line;
    }

    private static Command CreateEval()
    {
        var d = new DecodeOptions();
        var data = new Option<string>("--data") { Description = "Pairs to score: TSV source<TAB>target (alternatives a|b|c), or CMUdict with --format cmudict.", Required = true };
        var format = new Option<string?>("--format") { Description = "tsv (default) or cmudict." };
        var strip = new Option<bool?>("--strip-stress") { Description = "CMUdict: remove stress digits (default: as the model was trained)." };
        var command = new Command("eval", "Exact match, sequence error rate, token error rate and BLEU against references.") { data, format, strip };
        d.AddTo(command);
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(d.Threads));
            TranslateOptions options = d.Bind(parse);
            PairFormat pairFormat = Seq2SeqConfig.ParseFormat(parse.GetValue(format) ?? "tsv");
            Seq2SeqModel model = Seq2SeqModel.Load(parse.GetValue(d.Model)!);
            IReadOnlyList<SequencePair> examples = PairReader.Read(parse.GetValue(data)!, pairFormat, parse.GetValue(strip) ?? model.Config.StripStress);
            Seq2SeqScores scores = model.Evaluate(examples, options);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(d.Json))
                output.WriteLine(JsonSerializer.Serialize(new Seq2SeqEvalResult(Math.Round(scores.ExactMatch, 6), Math.Round(scores.SequenceErrorRate, 6),
                    Math.Round(scores.TokenErrorRate, 6), Math.Round(scores.Bleu, 4), scores.Examples, options.BeamSize), CliJsonContext.Default.Seq2SeqEvalResult));
            else
            {
                output.WriteLine($"exact match  {scores.ExactMatch:P2}");
                output.WriteLine($"SER          {scores.SequenceErrorRate:P2}   (sequence error rate; G2P's WER)");
                output.WriteLine($"TER          {scores.TokenErrorRate:P2}   (token edits per reference token; G2P's PER)");
                output.WriteLine($"BLEU         {scores.Bleu:F2}");
                output.WriteLine($"examples     {scores.Examples:N0}   (beam {options.BeamSize})");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
