// `rnn tag train | predict | eval | truecase-data`: sequence tagging (aligned many-to-many) on CoNLL files.
using System.CommandLine;
using System.Text.Json;
using Recurrent.Data;
using Recurrent.Tasks.Tagging;

namespace Recurrent.Cli.Commands;

internal static class TagCommand
{
    public static Command Create()
    {
        var tag = new Command("tag", "Sequence tagging (aligned many-to-many): a tag for every token of CoNLL column files (NER, chunking, POS, truecasing).");
        tag.Subcommands.Add(TagTrainCommand.Create());
        tag.Subcommands.Add(CreatePredict());
        tag.Subcommands.Add(CreateEval());
        tag.Subcommands.Add(TruecaseDataCommand.Create());
        tag.Subcommands.Add(TruecaseCommand.Create());
        return tag;
    }

    /// <summary>--token-column and --tag-column, shared by train, predict and eval.</summary>
    public static (Option<int?> Token, Option<int?> Tag) ColumnOptions() => (
        new Option<int?>("--token-column") { Description = "Column of the token, from 1 (negative counts from the end; default 1)." },
        new Option<int?>("--tag-column") { Description = "Column of the tag, from 1 (negative counts from the end; default -1, the last)." });

    private static Command CreatePredict()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn tag train'.", Required = true };
        var input = new Argument<string?>("file") { Description = "CoNLL file to tag (tokens in --token-column; default: standard input).", Arity = ArgumentArity.ZeroOrOne };
        var (tokenColumn, _) = ColumnOptions();
        var json = new Option<bool>("--json") { Description = "One JSON object per sequence: tokens and tags." };
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Tag a CoNLL file: writes token<TAB>predicted tag per line, a blank line between sequences.") { model, input, tokenColumn, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Tagger tagger = Tagger.Load(parse.GetValue(model)!);
            var columns = new ConllColumns(parse.GetValue(tokenColumn) ?? 1);
            string? path = parse.GetValue(input);
            IReadOnlyList<TaggedSequence> sequences = path is null
                ? ConllReader.Parse(Console.In, "standard input", columns, withTags: false)
                : ConllReader.Read(path, columns, withTags: false);
            var output = parse.InvocationConfiguration.Output;
            foreach (var chunk in sequences.Chunk(256))
            {
                string[][] tags = tagger.Predict(chunk);
                for (int i = 0; i < chunk.Length; i++)
                {
                    if (parse.GetValue(json))
                    {
                        output.WriteLine(JsonSerializer.Serialize(new TagPredictResult(chunk[i].Tokens, tags[i]), TagJsonContext.Default.TagPredictResult));
                        continue;
                    }
                    for (int t = 0; t < tags[i].Length; t++) output.WriteLine($"{chunk[i].Tokens[t]}\t{tags[i][t]}");
                    output.WriteLine();
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateEval()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn tag train'.", Required = true };
        var data = new Option<string>("--data") { Description = "Tagged CoNLL file.", Required = true };
        var (tokenColumn, tagColumn) = ColumnOptions();
        var spans = new Option<string?>("--spans") { Description = "How tags form spans: chunks (B-/I-/E- prefixes, conlleval's default) or raw (conlleval -r: every tag but O is a one-token span); default: as trained." };
        var json = new Option<bool>("--json") { Description = "One JSON object: token_accuracy, span_f1, per_type precision/recall/f1/support, …" };
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Token accuracy and span precision/recall/F1 as conlleval computes them, overall and per type.") { model, data, tokenColumn, tagColumn, spans, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Tagger tagger = Tagger.Load(parse.GetValue(model)!);
            TaggingConfig config = parse.GetValue(spans) switch
            {
                null => tagger.Config,
                "chunks" => tagger.Config with { RawSpans = false },
                "raw" => tagger.Config with { RawSpans = true },
                string other => throw new ArgumentException($"--spans must be chunks or raw; got '{other}'."),
            };
            var columns = new ConllColumns(parse.GetValue(tokenColumn) ?? 1, parse.GetValue(tagColumn) ?? -1);
            var encoded = ConllReader.Read(parse.GetValue(data)!, columns).Select(config.Encode).ToArray();
            var (metrics, _) = Tagger.Score(tagger.Network, config, encoded);
            Write(parse.InvocationConfiguration.Output, metrics, config.RawSpans, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Prints conlleval's figures as a table or as the JSON object scripts read.</summary>
    public static void Write(TextWriter output, SpanMetrics m, bool raw, bool json)
    {
        if (json)
        {
            var perType = m.PerType.ToDictionary(kv => kv.Key, kv => new SpanScoreResult(Math.Round(kv.Value.Precision, 6), Math.Round(kv.Value.Recall, 6),
                Math.Round(kv.Value.F1, 6), kv.Value.Support));
            output.WriteLine(JsonSerializer.Serialize(new TagEvalResult(Math.Round(m.TokenAccuracy, 6), Math.Round(m.Precision, 6), Math.Round(m.Recall, 6),
                Math.Round(m.F1, 6), perType, m.Tokens, m.GoldChunks, m.GuessedChunks, m.CorrectChunks, raw ? "raw" : "chunks"), TagJsonContext.Default.TagEvalResult));
            return;
        }
        output.WriteLine($"processed {m.Tokens:N0} tokens with {m.GoldChunks:N0} spans; found {m.GuessedChunks:N0}; correct {m.CorrectChunks:N0}{(raw ? " (raw tags: one span per token)" : "")}");
        output.WriteLine($"token accuracy {m.TokenAccuracy:P2}   span precision {m.Precision:P2}   recall {m.Recall:P2}   F1 {100 * m.F1:F2}");
        if (m.PerType.Count == 0) return;
        int width = Math.Max(6, m.PerType.Keys.Max(k => k.Length));
        output.WriteLine($"{"type".PadRight(width)}  precision  recall      f1  support");
        foreach (var (type, s) in m.PerType)
            output.WriteLine($"{type.PadRight(width)}  {s.Precision,9:F4}  {s.Recall,6:F4}  {s.F1,6:F4}  {s.Support,7}");
    }
}
