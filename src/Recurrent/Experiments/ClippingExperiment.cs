// Gradient-norm clipping against exploding gradients (Pascanu, Mikolov & Bengio 2013): the same vanilla RNN,
// weights, data and plain SGD step, trained twice — once as is, once with the global gradient norm clipped:
//   g ← g · c / ‖g‖  when ‖g‖ > c
// The setting explodes on purpose: W_h is scaled to spectral radius above 1, so ∂e_T/∂h_k grows with T − k, and
// the learning rate is high, so one large gradient throws the weights far off. Without clipping the loss
// becomes NaN/∞ or blows up; with clipping every step moves the weights by at most lr·c.
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Experiments;

/// <summary>Options of <see cref="ClippingExperiment"/>. Validates itself.</summary>
public sealed record ClippingOptions
{
    /// <summary>The cell. Default the vanilla RNN (tanh).</summary>
    public CellKind Cell { get; init; } = CellKind.RnnTanh;

    /// <summary>Spectral radius of W_hh at initialisation. Default 1.5.</summary>
    public double Scale { get; init => field = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Scale), value, "The scale (spectral radius) must be positive and finite."); } = 1.5;

    /// <summary>T of the adding problem trained on. Default 50.</summary>
    public int Length { get; init => field = GradientFlowOptions.AtLeast(value, 2, nameof(Length)); } = 50;

    /// <summary>H. Default 32.</summary>
    public int Hidden { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Hidden)); } = 32;

    /// <summary>Sequences per batch. Default 32.</summary>
    public int Batch { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Batch)); } = 32;

    /// <summary>SGD steps of each run. Default 300.</summary>
    public int Steps { get; init => field = GradientFlowOptions.AtLeast(value, 1, nameof(Steps)); } = 300;

    /// <summary>Plain SGD's learning rate (no momentum). Default 0.1.</summary>
    public float LearningRate { get; init => field = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be positive."); } = 0.1f;

    /// <summary>The clipping threshold c of the clipped run. Default 1.</summary>
    public float Clip { get; init => field = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Clip), value, "Clip must be positive."); } = 1f;

    /// <summary>Seed of the weights and the data (the same for both runs).</summary>
    public ulong Seed { get; init; } = 1;
}

/// <summary>One step of one run.</summary>
/// <param name="Step">1-based.</param>
/// <param name="Loss">Training loss of the step's batch, before the update.</param>
/// <param name="GradientNorm">Global gradient norm before clipping.</param>
public readonly record struct ClippingPoint(int Step, double Loss, double GradientNorm);

/// <summary>One run.</summary>
/// <param name="Clip">The threshold, or null for the run without clipping.</param>
/// <param name="Points">Every step until the end or the divergence.</param>
/// <param name="DivergedAt">The first step whose loss or gradient norm was not finite, or whose loss passed 1000× the first; null if none.</param>
/// <param name="FinalLoss">The last loss recorded (NaN or ∞ when diverged).</param>
public sealed record ClippingRun(float? Clip, IReadOnlyList<ClippingPoint> Points, int? DivergedAt, double FinalLoss);

/// <summary>Trains the same network with and without gradient-norm clipping.</summary>
public static class ClippingExperiment
{
    /// <summary>A loss this many times the first step's counts as diverged (the run stops there).</summary>
    public const double DivergenceFactor = 1000;

    /// <summary>Runs without clipping, then with; reports progress to <paramref name="observer"/> when given.</summary>
    public static (ClippingRun Unclipped, ClippingRun Clipped) Run(ClippingOptions options, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var loop = new ExperimentLoop(2 * options.Steps, observer);
        ClippingRun unclipped = TrainOne(options, null, loop, cancel);
        ClippingRun clipped = TrainOne(options, options.Clip, loop, cancel);
        return (unclipped, clipped);
    }

    private static ClippingRun TrainOne(ClippingOptions options, float? clip, ExperimentLoop loop, CancellationToken cancel)
    {
        var task = new SyntheticTask(SyntheticTaskKind.Adding, options.Length);
        var network = new ProbeNetwork(options.Cell, task, options.Hidden, ExperimentLoop.WeightsRng(options.Seed));
        RecurrentSpectrum.ScaleTo(network.Recurrent, options.Scale);
        var optimizer = new Sgd(network.NamedParameters(), new SgdOptions(options.LearningRate));
        var parameters = network.Parameters();
        var data = new Rng(options.Seed + 13);
        var points = new List<ClippingPoint>();
        int? diverged = null;
        for (int step = 1; step <= options.Steps && diverged is null; step++)
        {
            cancel.ThrowIfCancellationRequested();
            StepResult r = loop.Step(network, optimizer, parameters, task.Sample(data, options.Batch), clip ?? 0f);
            points.Add(new ClippingPoint(step, r.Loss, r.GradientNorm));
            if (!double.IsFinite(r.Loss) || !double.IsFinite(r.GradientNorm) || r.Loss > DivergenceFactor * points[0].Loss)
            {
                diverged = step;
                loop.Skip(options.Steps - step);
            }
        }
        string name = clip is null ? "without clipping" : $"clipped at {clip:0.###}";
        loop.Message(diverged is int at
            ? $"{name}: diverged at step {at} (loss {points[^1].Loss:G3}, gradient norm {points[^1].GradientNorm:G3})"
            : $"{name}: final loss {points[^1].Loss:F4}, largest gradient norm {points.Max(p => p.GradientNorm):G3}");
        return new ClippingRun(clip, points, diverged, points[^1].Loss);
    }
}
