// How far back the gradient of the last step's error reaches, for recurrent weights scaled to spectral radius
// below, at and above 1. BPTT gives
//   ∂e_T/∂h_k = ∂e_T/∂h_T · Π_{t=k+1..T} ∂h_t/∂h_{t−1},   vanilla RNN: ∂h_t/∂h_{t−1} = diag(1 − h_t²)·W_h
// so ‖∂e_T/∂h_k‖ behaves like ρ(W_h)^(T−k) (times the tanh′ factors) — it vanishes for ρ < 1 and can explode for
// ρ > 1 — while the LSTM's cell path, c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, multiplies by f_t alone (no W_h, no
// squashing), so with forget gates near 1 the gradient survives over long distances.
// The error e_T is the adding problem's squared error at the last step; the norms come from the layer's
// HiddenGradientCapture (∂L/∂h_k for every k), averaged over a fixed probe batch, at initialisation and again
// after a short training on the same task.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Experiments;

/// <summary>Options of <see cref="GradientFlowExperiment"/>. Validates itself.</summary>
public sealed record GradientFlowOptions
{
    /// <summary>The scales of the default run: below, near, at and above 1.</summary>
    public static readonly double[] DefaultScales = [0.5, 0.9, 1.0, 1.1, 1.5];

    /// <summary>Cells to compare. Default RNN (tanh), LSTM, GRU.</summary>
    public IReadOnlyList<CellKind> Cells { get; init => field = NonEmpty(value, nameof(Cells)); } = [CellKind.RnnTanh, CellKind.Lstm, CellKind.Gru];

    /// <summary>Spectral radii every gate block of W_hh is scaled to at initialisation. Each &gt; 0.</summary>
    public IReadOnlyList<double> Scales
    {
        get;
        init => field = NonEmpty(value, nameof(Scales)).All(s => s > 0 && double.IsFinite(s)) ? value
            : throw new ArgumentOutOfRangeException(nameof(Scales), "Every scale (spectral radius) must be positive and finite.");
    } = DefaultScales;

    /// <summary>T: sequence length of the adding problem. Default 100; ≥ 2.</summary>
    public int Length { get; init => field = AtLeast(value, 2, nameof(Length)); } = 100;

    /// <summary>H. Default 32.</summary>
    public int Hidden { get; init => field = AtLeast(value, 1, nameof(Hidden)); } = 32;

    /// <summary>Sequences per training batch (and in the probe batch). Default 32.</summary>
    public int Batch { get; init => field = AtLeast(value, 1, nameof(Batch)); } = 32;

    /// <summary>Adam steps between the two measurements. Default 300; 0 measures at initialisation only.</summary>
    public int TrainSteps { get; init => field = AtLeast(value, 0, nameof(TrainSteps)); } = 300;

    /// <summary>Adam's learning rate. Default 1e-2 (as the long-range experiment).</summary>
    public float LearningRate { get; init => field = value > 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be positive."); } = 1e-2f;

    /// <summary>Gradient clipping (global norm) during the training. Default 1; 0 turns it off.</summary>
    public float Clip { get; init => field = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(Clip), value, "Clip must be ≥ 0."); } = 1f;

    /// <summary>LSTM forget-gate bias at initialisation. Default 1 (Jozefowicz et al. 2015; Gers et al. 2000 argue for positive).</summary>
    public float ForgetBias { get; init => field = float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(ForgetBias), value, "The forget bias must be finite."); } = 1f;

    /// <summary>Seed of the weights, the probe batch and the training batches.</summary>
    public ulong Seed { get; init; } = 1;

    internal static IReadOnlyList<T> NonEmpty<T>(IReadOnlyList<T> value, string name) =>
        value is { Count: > 0 } ? value : throw new ArgumentException($"{name} must list at least one value.", name);

    internal static int AtLeast(int value, int min, string name) =>
        value >= min ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ {min}; got {value}.");
}

/// <summary>One cell at one scale.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Scale">The spectral radius W_hh's blocks were scaled to.</param>
/// <param name="Initial">Spectrum of W_hh at initialisation.</param>
/// <param name="Trained">Spectrum after training (equal to <paramref name="Initial"/> without training).</param>
/// <param name="InitialNorms">[T]: mean over the probe batch of ‖∂e_T/∂h_k‖₂ at distance T − k = index (0: the last step).</param>
/// <param name="TrainedNorms">[T] after training; empty without training.</param>
/// <param name="TrainedMse">Adding-problem MSE on the probe batch after training (NaN without training).</param>
public sealed record GradientFlowRun(CellKind Cell, double Scale, SpectrumSummary Initial, SpectrumSummary Trained,
    double[] InitialNorms, double[] TrainedNorms, double TrainedMse);

/// <summary>Measures ‖∂e_T/∂h_k‖ against T − k for each cell and scale.</summary>
public static class GradientFlowExperiment
{
    /// <summary>Runs every cell at every scale; reports progress to <paramref name="observer"/> when given.</summary>
    public static IReadOnlyList<GradientFlowRun> Run(GradientFlowOptions options, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var task = new SyntheticTask(SyntheticTaskKind.Adding, options.Length);
        SyntheticBatch probe = task.Sample(new Rng(options.Seed ^ 0x5EED_0F_9A0BEUL), options.Batch);
        int runs = options.Cells.Count * options.Scales.Count;
        var loop = new ExperimentLoop(Math.Max(1, runs * options.TrainSteps), observer);
        var results = new List<GradientFlowRun>();
        foreach (CellKind cell in options.Cells)
            foreach (double scale in options.Scales)
            {
                cancel.ThrowIfCancellationRequested();
                var network = new ProbeNetwork(cell, task, options.Hidden, ExperimentLoop.WeightsRng(options.Seed));
                RecurrentSpectrum.ScaleTo(network.Recurrent, scale);
                if (cell == CellKind.Lstm) RecurrentSpectrum.SetForgetBias(network.Recurrent, options.ForgetBias);
                SpectrumSummary initial = RecurrentSpectrum.Measure(network.Recurrent), trained = initial;
                double[] initialNorms = HiddenGradientNorms(network, probe), trainedNorms = [];
                double mse = double.NaN;
                if (options.TrainSteps > 0)
                {
                    var optimizer = ExperimentLoop.Adam(network, options.LearningRate);
                    var parameters = network.Parameters();
                    var data = new Rng(options.Seed + 7);
                    for (int step = 0; step < options.TrainSteps; step++)
                    {
                        cancel.ThrowIfCancellationRequested();
                        loop.Step(network, optimizer, parameters, task.Sample(data, options.Batch), options.Clip);
                    }
                    trained = RecurrentSpectrum.Measure(network.Recurrent);
                    trainedNorms = HiddenGradientNorms(network, probe);
                    mse = network.Error(probe);
                }
                results.Add(new GradientFlowRun(cell, scale, initial, trained, initialNorms, trainedNorms, mse));
                loop.Message($"{LanguageModelConfig.CellName(cell)} ρ={scale:0.###}: ‖∂e_T/∂h_k‖ at distance {Math.Min(50, options.Length - 1)} " +
                    $"{initialNorms[Math.Min(50, options.Length - 1)]:E2} at init" +
                    (trainedNorms.Length > 0 ? $", {trainedNorms[Math.Min(50, options.Length - 1)]:E2} trained (MSE {mse:F4})" : ""));
            }
        return results;
    }

    /// <summary>
    /// [T]: index d holds the mean over the batch of ‖∂e_T/∂h_{T−d}‖₂, with e_T each sequence's own squared error
    /// (the loss is Σ_b e_T,b, so each sequence's gradient is not divided by the batch size).
    /// </summary>
    public static double[] HiddenGradientNorms(ProbeNetwork network, SyntheticBatch batch)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(batch);
        int t = batch.Inputs.Dim(0), b = batch.Inputs.Dim(1), h = network.Recurrent.Options.HiddenSize;
        var capture = new HiddenGradientCapture();
        using (var tape = new Tape())
        {
            Variable loss = tape.Scale(network.Loss(tape, batch, capture), b);
            tape.Backward(loss);
            tape.Reset();
        }
        network.ZeroGrad(); // the measurement must not leak into a later optimizer step
        ReadOnlySpan<float> g = capture.Gradients!.Span; // [1, T, B, H]
        var norms = new double[t];
        for (int k = 0; k < t; k++)
        {
            double sum = 0;
            for (int j = 0; j < b; j++)
            {
                double sq = 0;
                foreach (float v in g.Slice((k * b + j) * h, h)) sq += (double)v * v;
                sum += Math.Sqrt(sq);
            }
            norms[t - 1 - k] = sum / b;
        }
        return norms;
    }
}
