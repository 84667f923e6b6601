// The training benchmarks of `rnn bench train|infer|generate`: fixed model configurations, random data,
// forward + backward + Adam step (or forward only) timed after warm-up. Shared with the side-by-side bench
// project so ours and libtorch run the same shapes.
using System.Diagnostics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Cli.Bench;

/// <summary>A benchmark model: embedding → recurrent stack → linear, as a language model (logits per step) or a classifier (on the final states).</summary>
public sealed record BenchConfig(string Name, int Vocabulary, int Embed, CellKind Cell, int Hidden, int Layers, bool Bidirectional, int Batch, int Seq, int? Classes)
{
    public static IReadOnlyList<BenchConfig> All { get; } =
    [
        new("charlm-lstm", 96, 128, CellKind.Lstm, 512, 2, false, 64, 100, null),
        new("small-lstm", 96, 128, CellKind.Lstm, 128, 1, false, 32, 50, null),
        new("charlm-gru", 96, 128, CellKind.Gru, 512, 2, false, 64, 100, null),
        new("charlm-rnn", 96, 128, CellKind.RnnTanh, 512, 2, false, 64, 100, null),
        new("clf-bilstm", 20000, 100, CellKind.Lstm, 256, 1, true, 32, 200, 2),
    ];

    public static BenchConfig Find(string name) => All.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"--config must be one of {string.Join(", ", All.Select(c => c.Name))}; got '{name}'.");

    private int Gates => Cell switch { CellKind.Lstm => 4, CellKind.Gru or CellKind.GruOriginal => 3, _ => 1 };

    /// <summary>
    /// Forward FLOPs per token: the input and recurrent matrix products of every layer and direction, and the decoder,
    /// counted for the model as written (lookup, then projection), so GFLOP/s is the same yardstick for both sides; the
    /// work a side skips (our layer 0 projects the 96 table rows, not every token) shows as a higher rate.
    /// </summary>
    public double ForwardFlopsPerToken
    {
        get
        {
            int d = Bidirectional ? 2 : 1;
            double flops = 0;
            for (int l = 0; l < Layers; l++)
            {
                int input = l == 0 ? Embed : d * Hidden;
                flops += d * 2.0 * Gates * Hidden * (input + Hidden);
            }
            flops += Classes is null ? 2.0 * d * Hidden * Vocabulary : 2.0 * d * Hidden * Classes.Value / Seq;
            return flops;
        }
    }

    /// <summary>Training FLOPs per token: forward plus a backward pass of twice its cost.</summary>
    public double TrainFlopsPerToken => 3 * ForwardFlopsPerToken;
}

/// <summary>Our model for a <see cref="BenchConfig"/>, with random data and an Adam optimizer.</summary>
public sealed class BenchModel
{
    private readonly BenchConfig _c;
    private readonly Embedding _embedding;
    private readonly RecurrentLayer _rnn;
    private readonly Linear _head;
    private readonly List<NamedParameter> _parameters = new();
    private readonly Adam _adam;
    private readonly int[] _inputs, _targets;
    private readonly Tape _tape = new();

    public BenchModel(BenchConfig config)
    {
        _c = config;
        var rng = new Rng(1);
        int d = config.Bidirectional ? 2 : 1;
        _embedding = new Embedding(config.Vocabulary, config.Embed, rng);
        _rnn = new RecurrentLayer(new RecurrentOptions(config.Cell, config.Embed, config.Hidden, config.Layers, config.Bidirectional), rng);
        _head = new Linear(d * config.Hidden, config.Classes ?? config.Vocabulary, rng);
        _parameters.AddRange(_embedding.NamedParameters("embedding."));
        _parameters.AddRange(_rnn.NamedParameters("rnn."));
        _parameters.AddRange(_head.NamedParameters("head."));
        _adam = new Adam(_parameters, new AdamOptions(1e-3f));
        _inputs = new int[config.Seq * config.Batch];
        _targets = new int[config.Classes is null ? config.Seq * config.Batch : config.Batch];
        for (int i = 0; i < _inputs.Length; i++) _inputs[i] = rng.NextInt(config.Vocabulary);
        for (int i = 0; i < _targets.Length; i++) _targets[i] = rng.NextInt(config.Classes ?? config.Vocabulary);
    }

    public int TokensPerBatch => _c.Seq * _c.Batch;

    /// <summary>Forward + cross-entropy + backward + Adam step on one batch.</summary>
    public void TrainStep()
    {
        Variable loss = _tape.CrossEntropy(Logits(), _targets);
        _adam.ZeroGrad();
        _tape.Backward(loss);
        _adam.Step();
        _tape.Reset();
    }

    /// <summary>Forward only, evaluation mode.</summary>
    public void InferStep()
    {
        using (_tape.NoGrad()) Logits();
        _tape.Reset();
    }

    private Variable Logits()
    {
        RecurrentResult r = _rnn.Forward(_tape, _embedding.Weight, _inputs, _c.Seq, _c.Batch);
        if (_c.Classes is null)
            return _head.Forward(_tape, _tape.View(r.Output, _c.Seq * _c.Batch, r.Output.Value.Dim(-1)));
        // Classifier: the final states of both directions of the last layer, [B, D·H].
        int d = _c.Bidirectional ? 2 : 1;
        Variable[] finals = _tape.Split(r.Final.H, 0, Enumerable.Repeat(1, _c.Layers * d).ToArray());
        Variable last = d == 2 ? _tape.Concat([_tape.Reshape(finals[^2], _c.Batch, _c.Hidden), _tape.Reshape(finals[^1], _c.Batch, _c.Hidden)], 1)
            : _tape.Reshape(finals[^1], _c.Batch, _c.Hidden);
        return _head.Forward(_tape, last);
    }
}

/// <summary>Runs a benchmark: warm-up, then the median of timed rounds.</summary>
public static class TrainBenchmark
{
    /// <summary>
    /// Warms up for at least <paramref name="warmupSeconds"/> (and 2 batches) so the JIT has produced its
    /// optimised code, then returns the median of <paramref name="rounds"/> timed batches.
    /// </summary>
    public static double MedianSecondsPerBatch(Action step, double warmupSeconds = 3, int rounds = 7)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 2 || warm.Elapsed.TotalSeconds < warmupSeconds; i++) step();
        var times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            long start = Stopwatch.GetTimestamp();
            step();
            times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return Timing.Median(times);
    }

    /// <summary>Peak resident memory of this process so far, MiB.</summary>
    public static double PeakRssMib()
    {
        foreach (string line in File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status") : [])
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
