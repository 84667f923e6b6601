// Matrix-vector product y = W·x (+ y) for one input vector, the shape of decoding one token at a time.
// Bound by memory, not arithmetic: each weight is read once, so the rows are split across the worker
// threads, one contiguous block per thread (a multiple of four rows, so each row is computed the same way whatever
// the thread count; finer chunks cost ~2 µs per charlm-lstm token in claims and an uneven last chunk). Rows are taken four at a time: each
// slice of x is loaded once for four rows, and the four rows' accumulators are independent chains, which keeps
// the loads in flight instead of waiting on one dot product's additions. Legend: W [M, K] row-major, x [K], y [M].
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

/// <summary>Parallel matrix-vector products.</summary>
public static unsafe class Gemv
{
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
            int rows = RowsPerItem(m, k);
            (job.W, job.X, job.Y, job.M, job.K, job.Accumulate, job.Rows) = ((nint)pw, (nint)px, (nint)py, m, k, accumulate, rows);
            Parallelism.For(job, (m + rows - 1) / rows);   // one item runs on the calling thread
        }
    }

    /// <summary>
    /// Rows per work item: M split evenly over the threads and rounded up to a multiple of four. Rows are grouped
    /// in fours from row 0 in every split, so each row's dot product is the same whatever the thread count.
    /// </summary>
    private static int RowsPerThread(int m) => Math.Max(4, ((m + Parallelism.ThreadCount - 1) / Parallelism.ThreadCount + 3) & ~3);

    /// <summary>Rows per work item of a product of W [M, K]: all M below 32 Ki weights (not worth the workers), else <see cref="RowsPerThread"/>.</summary>
    internal static int RowsPerItem(int m, int k) => (long)m * k >= 1 << 15 ? RowsPerThread(m) : m;

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
        public int Rows;
        public bool Accumulate;

        public void Execute(int chunk)
        {
            int start = chunk * Rows, end = Math.Min(M, start + Rows);
            float* w = (float*)W, x = (float*)X, y = (float*)Y;
            int i = start;
            if (Vector512.IsHardwareAccelerated && K >= Vector512<float>.Count)
                for (; i + 4 <= end; i += 4) Dot4Vector512(w + (long)i * K, K, x, y + i, Accumulate);
            else if (Vector256.IsHardwareAccelerated && K >= Vector256<float>.Count)
                for (; i + 4 <= end; i += 4) Dot4Vector256(w + (long)i * K, K, x, y + i, Accumulate);
            var xs = new ReadOnlySpan<float>(x, K);
            for (; i < end; i++)
            {
                float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(w + (long)i * K, K), xs);
                y[i] = Accumulate ? y[i] + dot : dot;
            }
        }
    }

    /// <summary>y[0..4) (+)= the dot products of the four rows starting at <paramref name="w"/> with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4Vector512(float* w, int k, float* x, float* y, bool accumulate)
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int j = 0;
        for (; j + 16 <= k; j += 16)
        {
            var xv = Vector512.Load(x + j);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w + j), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + j), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + j), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + j), xv, a3);
        }
        Vector128<float> sums = Sum4(a0, a1, a2, a3);
        if (j == k)
        {
            if (accumulate) sums += Vector128.Load(y);
            sums.Store(y);
        }
        else Finish(w, k, x, y, accumulate, j, sums[0], sums[1], sums[2], sums[3]);
    }

    /// <summary>
    /// [Σ a0, Σ a1, Σ a2, Σ a3]: the four lane sums in one transposing reduction (halving, then pairwise horizontal
    /// adds) instead of four separate ones. It ends every four rows' dot products, so with rows of 512 columns it
    /// is a real part of the work: the charlm-lstm decoder's token took 7–9 % less time (bfloat16) and 8–13 %
    /// less (float32) than with four Vector512.Sum calls, alternating the two in one process. Each row's sum is
    /// reduced in the same order whichever of the four slots it is in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sum4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        return Sum4(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper());
    }

    /// <summary>[Σ b0, Σ b1, Σ b2, Σ b3] for 256-bit vectors: the pairwise horizontal adds of <see cref="Sum4(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Sum4(Vector256<float> b0, Vector256<float> b1, Vector256<float> b2, Vector256<float> b3)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> h = Avx.HorizontalAdd(Avx.HorizontalAdd(b0, b1), Avx.HorizontalAdd(b2, b3));
            return h.GetLower() + h.GetUpper();
        }
        return Vector128.Create(Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
    }

    /// <summary>As <see cref="Dot4Vector512"/> with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4Vector256(float* w, int k, float* x, float* y, bool accumulate)
    {
        float* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int j = 0;
        for (; j + 8 <= k; j += 8)
        {
            var xv = Vector256.Load(x + j);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + j), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + j), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + j), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + j), xv, a3);
        }
        Finish(w, k, x, y, accumulate, j, Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
    }

    /// <summary>Adds the scalar tail from column <paramref name="j"/> on and stores the four sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* w, int k, float* x, float* y, bool accumulate, int j, float s0, float s1, float s2, float s3)
    {
        for (; j < k; j++)
        {
            float xj = x[j];
            s0 += w[j] * xj;
            s1 += w[k + j] * xj;
            s2 += w[2 * k + j] * xj;
            s3 += w[3 * k + j] * xj;
        }
        if (accumulate) { s0 += y[0]; s1 += y[1]; s2 += y[2]; s3 += y[3]; }
        (y[0], y[1], y[2], y[3]) = (s0, s1, s2, s3);
    }
}
