// `rnn classify train | predict | eval`: text classification (many-to-one).
using System.CommandLine;
using System.Text.Json;
using Recurrent.Data;
using Recurrent.Tasks.Classification;

namespace Recurrent.Cli.Commands;

internal static class ClassifyCommand
{
    public static Command Create()
    {
        var classify = new Command("classify", "Text classification (many-to-one): any labelled text, any number of classes.");
        classify.Subcommands.Add(ClassifyTrainCommand.Create());
        classify.Subcommands.Add(CreatePredict());
        classify.Subcommands.Add(CreateEval());
        return classify;
    }

    private static Command CreatePredict()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn classify train'.", Required = true };
        var files = new Argument<string[]>("files") { Description = "Files to classify, one text each (default: each line of standard input).", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "One JSON object per input with every class's probability." };
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Classify texts: one line per input with the label and its probability.") { model, files, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Classifier classifier = Classifier.Load(parse.GetValue(model)!);
            string[] paths = parse.GetValue(files) ?? [];
            var output = parse.InvocationConfiguration.Output;
            IEnumerable<(string Name, string Text)> inputs = paths.Length > 0
                ? paths.Select(p => (p, TextFile.ReadUtf8Lenient(p, out _)))
                : ReadLines(Console.In);
            foreach (var chunk in inputs.Chunk(64))
            {
                float[][] probabilities = classifier.Predict(chunk.Select(c => c.Text).ToArray());
                for (int i = 0; i < chunk.Length; i++)
                {
                    float[] p = probabilities[i];
                    int best = Array.IndexOf(p, p.Max());
                    string label = classifier.Config.Labels[best];
                    if (parse.GetValue(json))
                    {
                        var all = classifier.Config.Labels.Select((l, c) => (l, c)).ToDictionary(x => x.l, x => Math.Round((double)p[x.c], 6));
                        output.WriteLine(JsonSerializer.Serialize(new PredictResult(chunk[i].Name, label, Math.Round((double)p[best], 6), all), CliJsonContext.Default.PredictResult));
                    }
                    else output.WriteLine(paths.Length > 0 ? $"{chunk[i].Name}\t{label}\t{p[best]:F4}" : $"{label}\t{p[best]:F4}");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static IEnumerable<(string, string)> ReadLines(TextReader reader)
    {
        int n = 0;
        while (reader.ReadLine() is string line) yield return ($"line {++n}", line);
    }

    private static Command CreateEval()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn classify train'.", Required = true };
        var data = new Option<string>("--data") { Description = "Labelled data: CSV/TSV with a header, JSONL, or a folder per class.", Required = true };
        var textColumn = new Option<string>("--text-column") { Description = "CSV/TSV column with the text.", DefaultValueFactory = _ => "text" };
        var labelColumn = new Option<string>("--label-column") { Description = "CSV/TSV column with the label.", DefaultValueFactory = _ => "label" };
        var json = new Option<bool>("--json") { Description = "One JSON object: accuracy, macro_f1, per_class, confusion, labels, examples." };
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.") { model, data, textColumn, labelColumn, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Classifier classifier = Classifier.Load(parse.GetValue(model)!);
            LabeledData labeled = ClassificationReader.Read(parse.GetValue(data)!, parse.GetValue(textColumn)!, parse.GetValue(labelColumn)!);
            EncodedExamples examples = ClassifyTrainCommand.Encode(classifier.Config, labeled);
            var (metrics, _) = ClassificationTask.Score(classifier.Network, examples);
            Write(parse.InvocationConfiguration.Output, classifier.Config.Labels, metrics, parse.GetValue(json));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Prints metrics as a table or as the JSON object scripts read.</summary>
    public static void Write(TextWriter output, IReadOnlyList<string> labels, ClassificationMetrics m, bool json)
    {
        if (json)
        {
            var perClass = labels.Select((l, c) => (l, c)).ToDictionary(x => x.l, x => new ClassScoreResult(
                Math.Round(m.PerClass[x.c].Precision, 6), Math.Round(m.PerClass[x.c].Recall, 6), Math.Round(m.PerClass[x.c].F1, 6), m.PerClass[x.c].Support));
            output.WriteLine(JsonSerializer.Serialize(new ClassifyEvalResult(Math.Round(m.Accuracy, 6), Math.Round(m.MacroF1, 6), perClass, m.Confusion, labels.ToArray(), m.Examples),
                CliJsonContext.Default.ClassifyEvalResult));
            return;
        }
        output.WriteLine($"accuracy  {m.Accuracy:P2}   macro-F1  {m.MacroF1:F4}   examples  {m.Examples:N0}");
        int width = Math.Max(8, labels.Max(l => l.Length));
        output.WriteLine($"{"class".PadRight(width)}  precision  recall      f1  support");
        for (int c = 0; c < labels.Count; c++)
            output.WriteLine($"{labels[c].PadRight(width)}  {m.PerClass[c].Precision,9:F4}  {m.PerClass[c].Recall,6:F4}  {m.PerClass[c].F1,6:F4}  {m.PerClass[c].Support,7}");
        output.WriteLine("confusion (rows: true, columns: predicted)");
        output.WriteLine($"{"".PadRight(width)}  {string.Join("  ", labels.Select(l => l.PadLeft(Math.Max(6, l.Length))))}");
        for (int r = 0; r < labels.Count; r++)
            output.WriteLine($"{labels[r].PadRight(width)}  {string.Join("  ", labels.Select((l, c) => m.Confusion[r][c].ToString().PadLeft(Math.Max(6, l.Length))))}");
    }
}
