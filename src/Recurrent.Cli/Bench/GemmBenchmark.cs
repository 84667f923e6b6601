// Measures our GEMM on the shapes the recurrent layers use. Shared by `rnn bench gemm` and the
// side-by-side bench project, so both time the same thing the same way.
using System.Diagnostics;
using Recurrent.Tensors;

namespace Recurrent.Cli.Bench;

/// <summary>One GEMM shape to time.</summary>
public sealed record GemmShape(int M, int N, int K, Transpose TransA, Transpose TransB)
{
    /// <summary>"NN", "NT", "TN" or "TT".</summary>
    public string TransText => $"{(TransA == Transpose.Yes ? 'T' : 'N')}{(TransB == Transpose.Yes ? 'T' : 'N')}";

    /// <summary>Floating-point operations of one multiply.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>
    /// The standard set: square N = 256…2048, the recurrent step shapes 64×2048×512, and the two gradient products
    /// of a 100-wide input (clf-bilstm's embedding: dX = dG·W_ih and dW_ih = dGᵀ·X over 6,400 rows, 4H = 1,024).
    /// </summary>
    public static IReadOnlyList<GemmShape> Standard { get; } =
    [
        new(256, 256, 256, Transpose.No, Transpose.No),
        new(512, 512, 512, Transpose.No, Transpose.No),
        new(1024, 1024, 1024, Transpose.No, Transpose.No),
        new(2048, 2048, 2048, Transpose.No, Transpose.No),
        new(64, 2048, 512, Transpose.No, Transpose.No),
        new(64, 2048, 512, Transpose.No, Transpose.Yes),
        new(64, 2048, 512, Transpose.Yes, Transpose.No),
        new(6400, 100, 1024, Transpose.No, Transpose.No),
        new(1024, 100, 6400, Transpose.Yes, Transpose.No),
    ];
}

/// <summary>Operands for one shape, filled with seeded uniform values.</summary>
public sealed class GemmOperands
{
    public GemmOperands(GemmShape shape, int seed = 1)
    {
        Shape = shape;
        var random = new Random(seed);
        A = new float[shape.M * shape.K];
        B = new float[shape.K * shape.N];
        C = new float[shape.M * shape.N];
        foreach (float[] x in new[] { A, B }) for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2 - 1;
    }

    public GemmShape Shape { get; }
    public float[] A { get; }
    public float[] B { get; }
    public float[] C { get; }

    /// <summary>Row stride of A as stored.</summary>
    public int Lda => Shape.TransA == Transpose.Yes ? Shape.M : Shape.K;

    /// <summary>Row stride of B as stored.</summary>
    public int Ldb => Shape.TransB == Transpose.Yes ? Shape.K : Shape.N;

    /// <summary>One C = A·B with our GEMM.</summary>
    public void RunOurs() =>
        Gemm.Multiply(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, A, Lda, B, Ldb, 0f, C, Shape.N);
}

/// <summary>Timing helpers: repeat until a minimum time, take the median (or, for a peak, the fastest) of rounds.</summary>
public static class Timing
{
    /// <summary>Seconds per call of <paramref name="action"/>: the median of <paramref name="rounds"/> rounds of at least <paramref name="minSeconds"/> each.</summary>
    public static double MedianSecondsPerCall(Action action, int rounds = 5, double minSeconds = 0.25) =>
        Median(SecondsPerCallRounds(action, rounds, minSeconds));

    /// <summary>
    /// Seconds per call of <paramref name="action"/>: the fastest of <paramref name="rounds"/> rounds of at least
    /// <paramref name="minSeconds"/> each. For a peak (the FMA ceiling) the fastest round is the measure: on a shared
    /// machine a slow round means the work was interrupted, never that the peak is lower.
    /// </summary>
    public static double BestSecondsPerCall(Action action, int rounds = 9, double minSeconds = 0.05) =>
        SecondsPerCallRounds(action, rounds, minSeconds).Min();

    private static double[] SecondsPerCallRounds(Action action, int rounds, double minSeconds)
    {
        action();
        int reps = 1;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++) action();
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (elapsed >= minSeconds / 4) { reps = Math.Max(1, (int)Math.Ceiling(reps * minSeconds / elapsed)); break; }
            reps *= 4;
        }
        var samples = new double[rounds];
        for (int r = 0; r < rounds; r++) samples[r] = TimeOnce(action, reps);
        return samples;
    }

    /// <summary>Seconds per call over one batch of <paramref name="reps"/> calls.</summary>
    public static double TimeOnce(Action action, int reps)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < reps; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / reps;
    }

    /// <summary>The median of the values (the mean of the middle two for an even count).</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        double[] sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
