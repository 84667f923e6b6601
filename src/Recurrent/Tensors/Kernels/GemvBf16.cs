// Matrix-vector product with the matrix stored in bfloat16 (the top 16 bits of a float32) and everything
// else in float32: y = W·x (+ y). Decoding one token at a time is bound by reading the weights, so halving
// their size nearly halves the time; each weight is widened back to float32 exactly and the products are
// accumulated in float32. Rows are split across the worker threads in one block each, as in Gemv, and taken
// four at a time; the packed layout and its products are in GemvBf16Packed.cs.
// Legend: W [M, K] row-major bf16 bits, x [K], y [M].
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

/// <summary>bfloat16 weights: conversion and the matrix-vector product.</summary>
public static unsafe partial class GemvBf16
{
    [ThreadStatic] private static Job? _job;

    /// <summary>Rounds each float32 to the nearest bfloat16 (ties to even); NaN stays NaN.</summary>
    public static ushort[] FromSingle(ReadOnlySpan<float> x)
    {
        var y = new ushort[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = Round(x[i]);
        return y;
    }

    /// <summary>One float32 rounded to bfloat16 bits.</summary>
    public static ushort Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>The float32 value of bfloat16 bits (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] with bf16 W, β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Multiply(ReadOnlySpan<ushort> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(w, m, k, x, y, accumulate, packed: false);

    /// <summary>Checks the sizes and runs the rows in fixed chunks, across the workers when the matrix is large.</summary>
    private static void Run(ReadOnlySpan<ushort> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate, bool packed)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || x.Length < k || y.Length < m)
            throw new ArgumentException($"GemvBf16: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}), x needs {k} (has {x.Length}), y needs {m} (has {y.Length}).");
        if (m == 0) return;
        fixed (ushort* pw = w)
        fixed (float* px = x)
        fixed (float* py = y)
        {
            Job job = _job ??= new Job();
            int rows = Gemv.RowsPerItem(m, k, packed);
            (job.W, job.X, job.Y, job.M, job.K, job.Accumulate, job.Packed, job.Rows) = ((nint)pw, (nint)px, (nint)py, m, k, accumulate, packed, rows);
            Parallelism.For(job, (m + rows - 1) / rows);   // one item runs on the calling thread
        }
    }

    /// <summary>The plain loop that defines the product, for tests.</summary>
    public static void Reference(ReadOnlySpan<ushort> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        for (int i = 0; i < m; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += (double)ToSingle(w[i * k + j]) * x[j];
            y[i] = (float)(accumulate ? y[i] + sum : sum);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ushort* w, float* x, int k)
    {
        int j = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> acc0 = default, acc1 = default;
            for (; j + 32 <= k; j += 32)
            {
                var raw = Vector512.Load(w + j);                       // 32 bf16
                var (lo, hi) = Vector512.Widen(raw);                    // 2 × 16 uint32
                acc0 = Vector512.FusedMultiplyAdd((lo << 16).AsSingle(), Vector512.Load(x + j), acc0);
                acc1 = Vector512.FusedMultiplyAdd((hi << 16).AsSingle(), Vector512.Load(x + j + 16), acc1);
            }
            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> acc0 = default, acc1 = default;
            for (; j + 16 <= k; j += 16)
            {
                var raw = Vector256.Load(w + j);
                var (lo, hi) = Vector256.Widen(raw);
                acc0 = Vector256.FusedMultiplyAdd((lo << 16).AsSingle(), Vector256.Load(x + j), acc0);
                acc1 = Vector256.FusedMultiplyAdd((hi << 16).AsSingle(), Vector256.Load(x + j + 8), acc1);
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; j < k; j++) sum += ToSingle(w[j]) * x[j];
        return sum;
    }

    /// <summary>y[0..4) (+)= the dot products of the four bf16 rows starting at <paramref name="w"/> with x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(ushort* w, int k, float* x, float* y, bool accumulate)
    {
        ushort* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        // Two accumulators per row, as in PackedDot4.
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int j = 0;
        for (; j + 32 <= k; j += 32)
        {
            Vector512<float> xLo = Vector512.Load(x + j), xHi = Vector512.Load(x + j + 16);
            var (lo, hi) = Vector512.Widen(Vector512.Load(w + j));
            a0 = Vector512.FusedMultiplyAdd((lo << 16).AsSingle(), xLo, a0);
            b0 = Vector512.FusedMultiplyAdd((hi << 16).AsSingle(), xHi, b0);
            (lo, hi) = Vector512.Widen(Vector512.Load(w1 + j));
            a1 = Vector512.FusedMultiplyAdd((lo << 16).AsSingle(), xLo, a1);
            b1 = Vector512.FusedMultiplyAdd((hi << 16).AsSingle(), xHi, b1);
            (lo, hi) = Vector512.Widen(Vector512.Load(w2 + j));
            a2 = Vector512.FusedMultiplyAdd((lo << 16).AsSingle(), xLo, a2);
            b2 = Vector512.FusedMultiplyAdd((hi << 16).AsSingle(), xHi, b2);
            (lo, hi) = Vector512.Widen(Vector512.Load(w3 + j));
            a3 = Vector512.FusedMultiplyAdd((lo << 16).AsSingle(), xLo, a3);
            b3 = Vector512.FusedMultiplyAdd((hi << 16).AsSingle(), xHi, b3);
        }
        (a0, a1, a2, a3) = (a0 + b0, a1 + b1, a2 + b2, a3 + b3);
        Finish4(a0, a1, a2, a3, w + j, k, k - j, x + j, y, accumulate);
    }

    /// <summary>
    /// The end of four rows' dot products, for either layout: the lane sums, then the <paramref name="count"/> columns
    /// after the last full block (row r's at tail[r·stride + c], with x's at xTail[c]), then y[0..4) (+)= the sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        ushort* tail, int stride, int count, float* xTail, float* y, bool accumulate) =>
        Finish4(Gemv.Sum4(a0, a1, a2, a3), tail, stride, count, xTail, y, accumulate);

    /// <summary>As above, from the four rows' vector sums already reduced (any vector width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4(Vector128<float> sums, ushort* tail, int stride, int count, float* xTail, float* y, bool accumulate)
    {
        if (count > 0)
        {
            ushort* w1 = tail + stride, w2 = w1 + stride, w3 = w2 + stride;
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (int c = 0; c < count; c++)
            {
                float xc = xTail[c];
                t0 += ToSingle(tail[c]) * xc;
                t1 += ToSingle(w1[c]) * xc;
                t2 += ToSingle(w2[c]) * xc;
                t3 += ToSingle(w3[c]) * xc;
            }
            sums += Vector128.Create(t0, t1, t2, t3);
        }
        if (accumulate) sums += Vector128.Load(y);
        sums.Store(y);
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
            ushort* w = (ushort*)W;
            float* x = (float*)X, y = (float*)Y;
            if (Packed)
            {
                for (int i = start; i < end; i += RowGroups.Rows(M, i)) PackedGroup(w + (long)i * K, RowGroups.Rows(M, i), K, x, y + i, Accumulate);
                return;
            }
            int r = start;
            if (Vector512.IsHardwareAccelerated && K >= 32)
                for (; r + 4 <= end; r += 4) Dot4(w + (long)r * K, K, x, y + r, Accumulate);
            for (; r < end; r++)
            {
                float dot = Dot(w + (long)r * K, x, K);
                y[r] = Accumulate ? y[r] + dot : dot;
            }
        }
    }
}
