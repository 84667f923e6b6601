// `rnn experiment clipping`: the same vanilla RNN (W_hh at spectral radius > 1), data and high-learning-rate SGD,
// trained without and with gradient-norm clipping. Writes clipping.csv (loss and gradient norm of every step
// of both runs; empty after a divergence) and clipping.png (gradient norm and loss side by side, log scale).
using System.CommandLine;
using Recurrent.Cli.Output;
using Recurrent.Experiments;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class ClippingCommand
{
    public const string Csv = "clipping.csv", Plot = "clipping.png";

    public static Command Create()
    {
        var defaults = new ClippingOptions();
        var cell = new Option<string?>("--cell") { Description = "The cell: rnn (default), rnn-relu, lstm, gru, gru-original." };
        var scale = new Option<double?>("--scale") { Description = $"Spectral radius of W_hh at initialisation (default {defaults.Scale})." };
        var length = ExperimentOptions.Int("--length", $"T of the adding problem (default {defaults.Length}).", 2, 10_000);
        var hidden = ExperimentOptions.Int("--hidden", $"Hidden size (default {defaults.Hidden}; up to 1024, the eigenvalues cost H³).", 1, 1024);
        var steps = ExperimentOptions.Int("--steps", $"SGD steps per run (default {defaults.Steps}).", 1, 10_000_000);
        var lr = new Option<float?>("--lr") { Description = $"Plain SGD's learning rate (default {defaults.LearningRate})." };
        var clip = new Option<float?>("--clip") { Description = $"Global-norm threshold of the clipped run (default {defaults.Clip})." };
        var common = new ExperimentOptions();
        var command = new Command("clipping", "Exploding gradients and gradient-norm clipping: the same training with and without clipping, on a setting that explodes.")
        {
            cell, scale, length, hidden, steps, lr, clip,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(common.Threads));
            IReadOnlyList<Nn.CellKind> cells = parse.GetValue(cell) is string c ? ExperimentOptions.ParseCells(c, "--cell") : [defaults.Cell];
            if (cells.Count != 1) throw new ArgumentException($"--cell takes one cell here; got {cells.Count}.");
            double radius = parse.GetValue(scale) ?? defaults.Scale;
            if (!(radius > 0 && double.IsFinite(radius))) throw new ArgumentException($"--scale must be a positive number; got {radius}.");
            var options = new ClippingOptions
            {
                Cell = cells[0],
                Scale = radius,
                Length = parse.GetValue(length) ?? defaults.Length,
                Hidden = parse.GetValue(hidden) ?? defaults.Hidden,
                Steps = parse.GetValue(steps) ?? defaults.Steps,
                LearningRate = ExperimentOptions.Positive(parse.GetValue(lr), "--lr", defaults.LearningRate),
                Clip = ExperimentOptions.Positive(parse.GetValue(clip), "--clip", defaults.Clip),
                Seed = parse.GetValue(common.Seed) ?? defaults.Seed,
            };
            string folder = common.ResolveFolder(parse, "clipping", [Csv, Plot]);
            TextWriter output = parse.InvocationConfiguration.Output;
            ClippingRun unclipped, clipped;
            using (var display = ExperimentOptions.Display(parse))
            {
                display.OnMessage($"clipping: {LanguageModelConfig.CellName(options.Cell)}, W_hh at ρ={options.Scale}, adding problem T={options.Length}, SGD lr {options.LearningRate}, " +
                    $"{options.Steps} steps, clip {options.Clip}; output in {folder}");
                (unclipped, clipped) = ExperimentOptions.Stoppable(() => ClippingExperiment.Run(options, display, cancel));
            }
            var csv = new ResultTable("step", "loss_unclipped", "grad_norm_unclipped", "loss_clipped", "grad_norm_clipped");
            for (int i = 0; i < options.Steps; i++)
            {
                ClippingPoint? u = i < unclipped.Points.Count ? unclipped.Points[i] : null, k = i < clipped.Points.Count ? clipped.Points[i] : null;
                csv.Add(i + 1, u?.Loss, u?.GradientNorm, k?.Loss, k?.GradientNorm);
            }
            csv.SaveCsv(Path.Combine(folder, Csv));
            SavePlot(Path.Combine(folder, Plot), unclipped, clipped, options);
            var table = new ResultTable("run", "steps", "diverged_at", "final_loss", "largest_grad_norm");
            foreach (ClippingRun r in new[] { unclipped, clipped })
                table.Add(Label(r), r.Points.Count, r.DivergedAt?.ToString() ?? "-", r.FinalLoss, r.Points.Max(p => p.GradientNorm));
            table.Write(output, $"with and without gradient-norm clipping (adding problem baseline MSE {1.0 / 6:0.###}; diverged: loss not finite or above {ClippingExperiment.DivergenceFactor:0}× the first)");
            output.WriteLine($"wrote {Csv} and {Plot} in {folder}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static string Label(ClippingRun run) => run.Clip is float c ? $"clip {c:0.###}" : "no clipping";

    private static void SavePlot(string path, ClippingRun unclipped, ClippingRun clipped, ClippingOptions options)
    {
        IReadOnlyList<(double X, double Y)> Series(ClippingRun r, bool norm) => r.Points.Select(p => ((double)p.Step, norm ? p.GradientNorm : p.Loss)).ToArray();
        string Name(ClippingRun r) => Label(r) + (r.DivergedAt is int at ? $" (diverged at step {at})" : "");
        string setting = $"{LanguageModelConfig.CellName(options.Cell)}, ρ(W_hh) = {options.Scale}, SGD lr {options.LearningRate}";
        LossPlot.SavePanels(path,
        [
            new PlotPanel($"gradient norm before clipping — {setting}", "step", "‖g‖", [(Name(unclipped), Series(unclipped, true)), (Name(clipped), Series(clipped, true))], LogY: true, MarkerSize: 0),
            new PlotPanel("training loss (MSE, adding problem)", "step", "loss", [(Name(unclipped), Series(unclipped, false)), (Name(clipped), Series(clipped, false))], LogY: true, MarkerSize: 0),
        ]);
    }
}
