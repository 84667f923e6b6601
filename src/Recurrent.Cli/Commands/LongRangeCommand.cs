// `rnn experiment long-range`: each cell trained on a synthetic long-range task (adding, temporal order, copy)
// at growing lengths under the same budget and seed; the held-out error against the trivial baseline and
// whether the task was solved. Writes long-range.csv (the table), long-range-curves.csv (error at every
// evaluation) and long-range.png (final error ÷ baseline against length, one line per cell; 1 is no better than
// the trivial baseline, 0 is perfect).
using System.CommandLine;
using Recurrent.Cli.Output;
using Recurrent.Experiments;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class LongRangeCommand
{
    public const string TableCsv = "long-range.csv", CurvesCsv = "long-range-curves.csv", Plot = "long-range.png";

    public static Command Create()
    {
        var defaults = new LongRangeOptions();
        var task = new Option<string?>("--task") { Description = "adding (default), temporal-order or copy." };
        var length = new Option<string?>("--length") { Description = "Length T, or a comma-separated list (default adding 10,25,50,100; temporal-order 20,50,100; copy 5,10,20,40 — for copy, the gap)." };
        var cells = new Option<string?>("--cells") { Description = "Cells, comma-separated: rnn, rnn-relu, lstm, gru, gru-original (default rnn,lstm,gru)." };
        var hidden = ExperimentOptions.Int("--hidden", $"Hidden size (default {defaults.Hidden}).", 1, 4096);
        var steps = ExperimentOptions.Int("--steps", $"Budget: Adam steps per cell and length (default {defaults.Steps}); a run stops early once solved.", 1, 10_000_000);
        var batch = ExperimentOptions.Int("--batch", $"Sequences per batch (default {defaults.Batch}).", 1, 65_536);
        var lr = new Option<float?>("--lr") { Description = $"Adam's learning rate (default {defaults.LearningRate})." };
        var forgetBias = new Option<float?>("--forget-bias") { Description = $"LSTM forget-gate bias at initialisation (default {defaults.ForgetBias})." };
        var common = new ExperimentOptions();
        var command = new Command("long-range", "Which cell learns a long-range dependency, and up to what length: the synthetic tasks of Hochreiter & Schmidhuber (1997).")
        {
            task, length, cells, hidden, steps, batch, lr, forgetBias,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(common.Threads));
            SyntheticTaskKind kind = (parse.GetValue(task) ?? "adding") switch
            {
                "adding" => SyntheticTaskKind.Adding,
                "temporal-order" => SyntheticTaskKind.TemporalOrder,
                "copy" => SyntheticTaskKind.Copy,
                string other => throw new ArgumentException($"--task must be adding, temporal-order or copy; got '{other}'."),
            };
            var options = new LongRangeOptions
            {
                Task = kind,
                Lengths = parse.GetValue(length) is string l ? ExperimentOptions.ParseInts(l, "--length", SyntheticTask.MinimumLength(kind)) : null,
                Cells = parse.GetValue(cells) is string c ? ExperimentOptions.ParseCells(c, "--cells") : defaults.Cells,
                Hidden = parse.GetValue(hidden) ?? defaults.Hidden,
                Steps = parse.GetValue(steps) ?? defaults.Steps,
                Batch = parse.GetValue(batch) ?? defaults.Batch,
                LearningRate = ExperimentOptions.Positive(parse.GetValue(lr), "--lr", defaults.LearningRate),
                ForgetBias = parse.GetValue(forgetBias) is float f && !float.IsFinite(f) ? throw new ArgumentException($"--forget-bias must be a finite number; got {f}.") : parse.GetValue(forgetBias) ?? defaults.ForgetBias,
                Seed = parse.GetValue(common.Seed) ?? defaults.Seed,
            };
            string name = SyntheticTask.Name(kind);
            string folder = common.ResolveFolder(parse, $"long-range-{name}", [TableCsv, CurvesCsv, Plot]);
            var probe = new SyntheticTask(kind, options.EffectiveLengths[0]);
            TextWriter output = parse.InvocationConfiguration.Output;
            IReadOnlyList<LongRangeRun> runs;
            using (var display = ExperimentOptions.Display(parse))
            {
                display.OnMessage($"long range: {name}, lengths {string.Join(",", options.EffectiveLengths)}, cells {string.Join(",", options.Cells.Select(LanguageModelConfig.CellName))}, " +
                    $"H={options.Hidden}, budget {options.Steps} steps of {options.Batch}; solved when the held-out {probe.ErrorName} ≤ {probe.SolvedThreshold}; output in {folder}");
                runs = ExperimentOptions.Stoppable(() => LongRangeExperiment.Run(options, display, cancel));
            }
            var table = new ResultTable("task", "length", "cell", probe.ErrorName.Replace(' ', '_'), "baseline", "error/baseline", "solved", "steps");
            foreach (LongRangeRun r in runs)
                table.Add(name, r.Length, LanguageModelConfig.CellName(r.Cell), Formatting.Fixed(r.Error, 4), Formatting.Fixed(r.Baseline, 4), Formatting.Fixed(r.Error / r.Baseline, 3), r.Solved, r.Steps);
            table.SaveCsv(Path.Combine(folder, TableCsv));
            var curves = new ResultTable("task", "length", "cell", "step", "error");
            foreach (LongRangeRun r in runs)
                foreach (var (step, error) in r.Curve) curves.Add(name, r.Length, LanguageModelConfig.CellName(r.Cell), step, error);
            curves.SaveCsv(Path.Combine(folder, CurvesCsv));
            LossPlot.SaveLines(Path.Combine(folder, Plot), $"{name}: held-out {probe.ErrorName} ÷ trivial baseline after ≤ {options.Steps} steps (below {probe.SolvedThreshold / probe.TrivialBaseline:0.###}: solved)",
                name == "copy" ? "gap T (steps)" : "sequence length T", $"{probe.ErrorName} ÷ baseline",
                runs.GroupBy(r => r.Cell).Select(g => (LanguageModelConfig.CellName(g.Key), (IReadOnlyList<(double X, double Y)>)g.Select(r => ((double)r.Length, r.Error / r.Baseline)).ToArray())).ToArray(),
                logY: false);
            table.Write(output, $"{name}: held-out {probe.ErrorName} after at most {options.Steps} steps (trivial baseline {probe.TrivialBaseline:0.###}; solved at ≤ {probe.SolvedThreshold})");
            output.WriteLine($"wrote {TableCsv}, {CurvesCsv} and {Plot} in {folder}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
