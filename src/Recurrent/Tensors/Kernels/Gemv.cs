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
public static unsafe partial class Gemv
{
    [ThreadStatic] private static Job? _job;

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] for i &lt; M, with β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Multiply(ReadOnlySpan<float> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(w, m, k, x, y, accumulate, packed: false);

    /// <summary>Checks the sizes and runs the rows in fixed chunks, across the workers when the matrix is large.</summary>
    private static void Run(ReadOnlySpan<float> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate, bool packed)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || x.Length < k || y.Length < m)
            throw new ArgumentException($"Gemv: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}), x needs {k} (has {x.Length}), y needs {m} (has {y.Length}).");
        if (m == 0) return;
        fixed (float* pw = w)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            Job job = _job ??= new Job();
            int rows = RowsPerItem(m, k, packed);
            (job.W, job.X, job.Y, job.M, job.K, job.Accumulate, job.Packed, job.Rows) = ((nint)pw, (nint)px, (nint)py, m, k, accumulate, packed, rows);
            Parallelism.For(job, (m + rows - 1) / rows);   // one item runs on the calling thread
        }
    }

    /// <summary>
    /// Rows per work item: M split evenly over the threads and rounded up to a multiple of four. Rows are grouped
    /// in fours from row 0 in every split, so each row's dot product is the same whatever the thread count.
    /// </summary>
    private static int RowsPerThread(int m) => Math.Max(4, ((m + Parallelism.ThreadCount - 1) / Parallelism.ThreadCount + 3) & ~3);

    /// <summary>
    /// Rows per work item of a product of W [M, K]: all M below 32 Ki weights (not worth the workers), else
    /// <see cref="RowsPerThread"/>, rounded up to whole groups of eight for the packed layouts (RowGroups).
    /// </summary>
    internal static int RowsPerItem(int m, int k, bool packed)
    {
        if ((long)m * k < 1 << 15) return m;
        int rows = RowsPerThread(m);
        return packed && rows < m ? (rows + 7) & ~7 : rows;
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
        public int Rows;
        public bool Accumulate, Packed;

        public void Execute(int chunk)
        {
            int start = chunk * Rows, end = Math.Min(M, start + Rows);
            float* w = (float*)W, x = (float*)X, y = (float*)Y;
            if (Packed)
            {
                for (int r = start; r < end; r += RowGroups.Rows(M, r)) PackedGroup(w + (long)r * K, RowGroups.Rows(M, r), K, x, y + r, Accumulate);
                return;
            }
            PlainRows(w + (long)start * K, end - start, K, x, y + start, Accumulate);
        }
    }

    /// <summary>y[0..rows) (+)= W·x for rows stored in order from <paramref name="w"/>: four at a time, then one at a time.</summary>
    private static void PlainRows(float* w, int rows, int k, float* x, float* y, bool accumulate)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && k >= Vector512<float>.Count)
            for (; i + 4 <= rows; i += 4) Dot4Vector512(w + (long)i * k, k, x, y + i, accumulate);
        else if (Vector256.IsHardwareAccelerated && k >= Vector256<float>.Count)
            for (; i + 4 <= rows; i += 4) Dot4Vector256(w + (long)i * k, k, x, y + i, accumulate);
        var xs = new ReadOnlySpan<float>(x, k);
        for (; i < rows; i++)
        {
            float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(w + (long)i * k, k), xs);
            y[i] = accumulate ? y[i] + dot : dot;
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
        else Finish(w + j, k, k - j, x + j, y, accumulate, sums[0], sums[1], sums[2], sums[3]);
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
        Finish(w + j, k, k - j, x + j, y, accumulate, Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
    }

    /// <summary>
    /// Adds the <paramref name="count"/> columns left after the vector loop (row r's at tail[r·stride + c], with x's at
    /// xTail[c]) to the four sums and stores them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* tail, int stride, int count, float* xTail, float* y, bool accumulate, float s0, float s1, float s2, float s3)
    {
        for (int c = 0; c < count; c++)
        {
            float xc = xTail[c];
            s0 += tail[c] * xc;
            s1 += tail[stride + c] * xc;
            s2 += tail[2 * stride + c] * xc;
            s3 += tail[3 * stride + c] * xc;
        }
        if (accumulate) { s0 += y[0]; s1 += y[1]; s2 += y[2]; s3 += y[3]; }
        (y[0], y[1], y[2], y[3]) = (s0, s1, s2, s3);
    }
}
