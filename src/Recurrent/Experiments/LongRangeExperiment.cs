// Which cell learns a long-range dependency, and up to what length: each cell trains on the same task, at each
// length, with the same budget, seed, optimizer and clipping; the error on a held-out batch is compared with
// the task's trivial baseline and its "solved" threshold (see SyntheticTask). Training stops early once the
// held-out error reaches the threshold (checked every EvalEvery steps), so "steps" says how fast it was solved.
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Training;

namespace Recurrent.Experiments;

/// <summary>Options of <see cref="LongRangeExperiment"/>. Validates itself.</summary>
public sealed record LongRangeOptions
{
    /// <summary>The task. Default the adding problem.</summary>
    public SyntheticTaskKind Task { get; init; } = SyntheticTaskKind.Adding;

    /// <summary>Lengths T to train at (for copy: the gap). Default <see cref="DefaultLengths"/> of the task.</summary>
    public IReadOnlyList<int>? Lengths { get; init => field = value is null ? null : GradientFlowOptions.NonEmpty(value, nameof(Lengths)); }

    /// <summary>Cells to compare. Default RNN (tanh), LSTM, GRU.</summary>
    public IReadOnlyList<CellKind> Cells { get; init => field = GradientFlowOptions.NonEmpty(value, nameof(Cells)); } = [CellKind.RnnTanh, CellKind.Lstm, CellKind.Gru];

    /// <summary>H. Default 32.</summary>
    public int Hidden { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Hidden)); } = 32;

    /// <summary>Sequences per batch. Default 32.</summary>
    public int Batch { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Batch)); } = 32;

    /// <summary>The budget: Adam steps per cell and length. Default 1000.</summary>
    public int Steps { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Steps)); } = 1000;

    /// <summary>Held-out evaluation (and the early stop) every this many steps. Default 100.</summary>
    public int EvalEvery { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(EvalEvery)); } = 100;

    /// <summary>Sequences in the held-out batch. Default 512.</summary>
    public int TestSize { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(TestSize)); } = 512;

    /// <summary>Adam's learning rate. Default 1e-2.</summary>
    public float LearningRate { get; init => field = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be positive."); } = 1e-2f;

    /// <summary>Gradient clipping (global norm). Default 1; 0 turns it off.</summary>
    public float Clip { get; init => field = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Clip), value, "Clip must be ≥ 0."); } = 1f;

    /// <summary>LSTM forget-gate bias at initialisation. Default 1, the common practice (Jozefowicz et al. 2015).</summary>
    public float ForgetBias { get; init => field = float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ForgetBias), value, "The forget bias must be finite."); } = 1f;

    /// <summary>Seed of the weights and the data (the same for every cell and length).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The lengths used when none are given: adding 10, 25, 50, 100; temporal order 20, 50, 100; copy 5, 10, 20, 40.</summary>
    public static int[] DefaultLengths(SyntheticTaskKind task) => task switch
    {
        SyntheticTaskKind.Adding => [10, 25, 50, 100],
        SyntheticTaskKind.TemporalOrder => [20, 50, 100],
        _ => [5, 10, 20, 40],
    };

    /// <summary>The lengths this run uses.</summary>
    public IReadOnlyList<int> EffectiveLengths => Lengths ?? DefaultLengths(Task);
}

/// <summary>One cell at one length.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Length">T (for copy: the gap).</param>
/// <param name="Error">Held-out error at the end (MSE or error rate, see <see cref="SyntheticTask.ErrorName"/>).</param>
/// <param name="Baseline">The task's trivial baseline error.</param>
/// <param name="Solved">Whether <paramref name="Error"/> reached the task's threshold.</param>
/// <param name="Steps">Steps trained (fewer than the budget when solved early).</param>
/// <param name="Curve">(step, held-out error) at every evaluation.</param>
public sealed record LongRangeRun(CellKind Cell, int Length, double Error, double Baseline, bool Solved, int Steps, IReadOnlyList<(int Step, double Error)> Curve);

/// <summary>Trains each cell at each length on one synthetic task.</summary>
public static class LongRangeExperiment
{
    /// <summary>Runs the grid (lengths outer, cells inner); reports progress to <paramref name="observer"/> when given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length is below the task's minimum.</exception>
    public static IReadOnlyList<LongRangeRun> Run(LongRangeOptions options, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tasks = options.EffectiveLengths.Select(length => new SyntheticTask(options.Task, length)).ToArray();
        var loop = new ExperimentLoop(tasks.Length * options.Cells.Count * options.Steps, observer);
        var results = new List<LongRangeRun>();
        foreach (SyntheticTask task in tasks)
        {
            SyntheticBatch test = task.Sample(new Rng(options.Seed ^ 0x7E57_0000UL), options.TestSize);
            foreach (CellKind cell in options.Cells)
            {
                LongRangeRun run = TrainOne(task, cell, test, options, loop, cancel);
                results.Add(run);
                loop.Message($"{SyntheticTask.Name(task.Kind)} T={task.Length} {LanguageModelConfig.CellName(cell)}: {task.ErrorName} {run.Error:F4} " +
                    $"(baseline {run.Baseline:F3}) after {run.Steps} steps — {(run.Solved ? "solved" : "not solved")}");
            }
        }
        return results;
    }

    private static LongRangeRun TrainOne(SyntheticTask task, CellKind cell, SyntheticBatch test, LongRangeOptions options, ExperimentLoop loop, CancellationToken cancel)
    {
        var network = new ProbeNetwork(cell, task, options.Hidden, ExperimentLoop.WeightsRng(options.Seed));
        if (cell == CellKind.Lstm) RecurrentSpectrum.SetForgetBias(network.Recurrent, options.ForgetBias);
        var optimizer = ExperimentLoop.Adam(network, options.LearningRate);
        var parameters = network.Parameters();
        var data = new Rng(options.Seed + 11);
        var curve = new List<(int, double)> { (0, network.Error(test)) };
        int step = 0;
        double error = curve[0].Item2;
        while (step < options.Steps && !(error <= task.SolvedThreshold))
        {
            cancel.ThrowIfCancellationRequested();
            StepResult result = loop.Step(network, optimizer, parameters, task.Sample(data, options.Batch), options.Clip);
            step++;
            if (!double.IsFinite(result.Loss) || !double.IsFinite(result.GradientNorm))
            {
                error = double.NaN; // diverged: nothing more to learn from this run
                curve.Add((step, error));
                break;
            }
            if (step % options.EvalEvery == 0 || step == options.Steps)
            {
                error = network.Error(test);
                curve.Add((step, error));
            }
        }
        loop.Skip(options.Steps - step);
        return new LongRangeRun(cell, task.Length, error, task.TrivialBaseline, error <= task.SolvedThreshold, step, curve);
    }
}
