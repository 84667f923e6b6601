// Matrix-vector product y = W·x (+ y) for one input vector, the shape of decoding one token at a time.
// Bound by memory, not arithmetic: each weight is read once, so the rows are split across the worker
// threads (fixed chunks, so results do not depend on the thread count) and each row is one vectorised dot
// product. Legend: W [M, K] row-major, x [K], y [M].
using System.Numerics.Tensors;

namespace Recurrent.Tensors;

/// <summary>Parallel matrix-vector products.</summary>
public static unsafe class Gemv
{
    private const int RowsPerChunk = 128;
    [ThreadStatic] private static Job? _job;

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] for i &lt; M, with β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Multiply(ReadOnlySpan<float> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || x.Length < k || y.Length < m)
            throw new ArgumentException($"Gemv: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}), x needs {k} (has {x.Length}), y needs {m} (has {y.Length}).");
        if (m == 0) return;
        fixed (float* pw = w)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            Job job = _job ??= new Job();
            (job.W, job.X, job.Y, job.M, job.K, job.Accumulate) = ((nint)pw, (nint)px, (nint)py, m, k, accumulate);
            int chunks = (m + RowsPerChunk - 1) / RowsPerChunk;
            if ((long)m * k < 1 << 15) for (int c = 0; c < chunks; c++) job.Execute(c);
            else Parallelism.For(job, chunks);
        }
    }

    /// <summary>The plain loop that defines the product, for tests.</summary>
    public static void Reference(ReadOnlySpan<float> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += (double)w[i * k + j] * x[j];
            y[i] = (float)(accumulate ? y[i] + sum : sum);
        }
    }

    private sealed class Job : IParallelJob
    {
        public nint W, X, Y;
        public int M, K;
        public bool Accumulate;

        public void Execute(int chunk)
        {
            int start = chunk * RowsPerChunk, end = Math.Min(M, start + RowsPerChunk);
            var x = new ReadOnlySpan<float>((float*)X, K);
            float* w = (float*)W, y = (float*)Y;
            for (int i = start; i < end; i++)
            {
                float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(w + (long)i * K, K), x);
                y[i] = Accumulate ? y[i] + dot : dot;
            }
        }
    }
}
