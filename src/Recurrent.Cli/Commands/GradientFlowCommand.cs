// `rnn experiment gradient-flow`: ‖∂e_T/∂h_k‖ against T − k for W_hh scaled to several spectral radii, at
// initialisation and after a short training, per cell; the spectral radius and largest singular value of W_hh
// printed beside the gradient norms. Writes gradient-flow.csv (every distance), spectra.csv (the table) and one
// gradient-flow-<cell>.png per cell (log scale; left panel at initialisation, right after training).
using System.CommandLine;
using Recurrent.Cli.Output;
using Recurrent.Experiments;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class GradientFlowCommand
{
    public const string NormsCsv = "gradient-flow.csv", SpectraCsv = "spectra.csv";

    public static Command Create()
    {
        var defaults = new GradientFlowOptions();
        var cell = new Option<string?>("--cell") { Description = "Cell(s), comma-separated: rnn, rnn-relu, lstm, gru, gru-original (default rnn,lstm,gru)." };
        var scale = new Option<string?>("--scale") { Description = $"Spectral radius (or a comma-separated list) W_hh is scaled to at initialisation (default {string.Join(",", GradientFlowOptions.DefaultScales)})." };
        var length = ExperimentOptions.Int("--length", $"T, the sequence length (default {defaults.Length}).", 2, 10_000);
        var hidden = ExperimentOptions.Int("--hidden", $"Hidden size (default {defaults.Hidden}; up to 1024, the eigenvalues cost H³).", 1, 1024);
        var steps = ExperimentOptions.Int("--steps", $"Training steps on the adding problem between the two measurements (default {defaults.TrainSteps}; 0: initialisation only).", 0, 1_000_000);
        var lr = new Option<float?>("--lr") { Description = $"Adam's learning rate for the training (default {defaults.LearningRate})." };
        var forgetBias = new Option<float?>("--forget-bias") { Description = $"LSTM forget-gate bias at initialisation (default {defaults.ForgetBias}); the cell path decays as σ(b_f) per step." };
        var common = new ExperimentOptions();
        var command = new Command("gradient-flow", "Vanishing and exploding gradients: the norm of ∂e_T/∂h_k against the distance T − k, for W_hh scaled below, at and above spectral radius 1.")
        {
            cell, scale, length, hidden, steps, lr, forgetBias,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(common.Threads));
            float bias = parse.GetValue(forgetBias) ?? defaults.ForgetBias;
            if (!float.IsFinite(bias)) throw new ArgumentException($"--forget-bias must be a finite number; got {bias}.");
            var options = new GradientFlowOptions
            {
                Cells = parse.GetValue(cell) is string c ? ExperimentOptions.ParseCells(c, "--cell") : defaults.Cells,
                Scales = parse.GetValue(scale) is string s ? ExperimentOptions.ParsePositives(s, "--scale") : defaults.Scales,
                Length = parse.GetValue(length) ?? defaults.Length,
                Hidden = parse.GetValue(hidden) ?? defaults.Hidden,
                TrainSteps = parse.GetValue(steps) ?? defaults.TrainSteps,
                LearningRate = ExperimentOptions.Positive(parse.GetValue(lr), "--lr", defaults.LearningRate),
                ForgetBias = bias,
                Seed = parse.GetValue(common.Seed) ?? defaults.Seed,
            };
            string[] plots = options.Cells.Distinct().Select(k => $"gradient-flow-{LanguageModelConfig.CellName(k)}.png").ToArray();
            string folder = common.ResolveFolder(parse, "gradient-flow", [NormsCsv, SpectraCsv, .. plots]);
            TextWriter output = parse.InvocationConfiguration.Output;
            IReadOnlyList<GradientFlowRun> runs;
            using (var display = ExperimentOptions.Display(parse))
            {
                display.OnMessage($"gradient flow: adding problem, T={options.Length}, H={options.Hidden}, cells {string.Join(",", options.Cells.Select(LanguageModelConfig.CellName))}, " +
                    $"scales {string.Join(",", options.Scales)}, {options.TrainSteps} training steps (Adam, lr {options.LearningRate}); output in {folder}");
                runs = ExperimentOptions.Stoppable(() => GradientFlowExperiment.Run(options, display, cancel));
            }
            int probe = Math.Min(50, options.Length - 1);
            SaveNorms(runs, Path.Combine(folder, NormsCsv));
            ResultTable table = Spectra(runs, probe);
            table.SaveCsv(Path.Combine(folder, SpectraCsv));
            foreach (var group in runs.GroupBy(r => r.Cell))
                SavePlot(Path.Combine(folder, $"gradient-flow-{LanguageModelConfig.CellName(group.Key)}.png"), group.ToArray(), options);
            table.Write(output, $"‖∂e_T/∂h_k‖ (mean over {options.Batch} sequences) and the spectrum of W_hh (largest over gate blocks)");
            output.WriteLine($"wrote {NormsCsv}, {SpectraCsv} and {string.Join(", ", plots)} in {folder}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static void SaveNorms(IReadOnlyList<GradientFlowRun> runs, string path)
    {
        var csv = new ResultTable("cell", "scale", "phase", "distance", "grad_norm");
        foreach (GradientFlowRun r in runs)
        {
            string name = LanguageModelConfig.CellName(r.Cell);
            for (int d = 0; d < r.InitialNorms.Length; d++) csv.Add(name, r.Scale, "init", d, r.InitialNorms[d]);
            for (int d = 0; d < r.TrainedNorms.Length; d++) csv.Add(name, r.Scale, "trained", d, r.TrainedNorms[d]);
        }
        csv.SaveCsv(path);
    }

    private static ResultTable Spectra(IReadOnlyList<GradientFlowRun> runs, int probe)
    {
        var table = new ResultTable("cell", "scale", "phase", "spectral_radius", "largest_singular_value", "grad_norm_d0", $"grad_norm_d{probe}", "ratio", "mse");
        foreach (GradientFlowRun r in runs)
        {
            string name = LanguageModelConfig.CellName(r.Cell);
            table.Add(name, r.Scale, "init", Round(r.Initial.SpectralRadius), Round(r.Initial.LargestSingularValue),
                Sci(r.InitialNorms[0]), Sci(r.InitialNorms[probe]), Sci(r.InitialNorms[probe] / r.InitialNorms[0]), "");
            if (r.TrainedNorms.Length > 0)
                table.Add(name, r.Scale, "trained", Round(r.Trained.SpectralRadius), Round(r.Trained.LargestSingularValue),
                    Sci(r.TrainedNorms[0]), Sci(r.TrainedNorms[probe]), Sci(r.TrainedNorms[probe] / r.TrainedNorms[0]), Round(r.TrainedMse));
        }
        return table;
    }

    private static string Round(double v) => Formatting.Fixed(v, 4);

    private static string Sci(double v) => v.ToString("0.00e0", System.Globalization.CultureInfo.InvariantCulture);

    private static void SavePlot(string path, IReadOnlyList<GradientFlowRun> runs, GradientFlowOptions options)
    {
        string cell = LanguageModelConfig.CellName(runs[0].Cell);
        static IReadOnlyList<(double X, double Y)> Points(double[] norms) => norms.Select((n, d) => ((double)d, n)).ToArray();
        var init = new PlotPanel($"{cell}: at initialisation", "distance T − k (steps)", "‖∂e_T/∂h_k‖",
            runs.Select(r => ($"ρ = {r.Scale:0.###} (σ_max {r.Initial.LargestSingularValue:0.##})", Points(r.InitialNorms))).ToArray(), LogY: true, MarkerSize: 0);
        var panels = new List<PlotPanel> { init };
        if (options.TrainSteps > 0)
            panels.Add(new PlotPanel($"{cell}: after {options.TrainSteps} steps on the adding problem", "distance T − k (steps)", "‖∂e_T/∂h_k‖",
                runs.Select(r => ($"init ρ = {r.Scale:0.###} (now {r.Trained.SpectralRadius:0.##})", Points(r.TrainedNorms))).ToArray(), LogY: true, MarkerSize: 0));
        LossPlot.SavePanels(path, panels);
    }
}
