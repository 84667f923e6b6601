// Matrix-vector product with the matrix stored in bfloat16 (the top 16 bits of a float32) and everything
// else in float32: y = W·x (+ y). Decoding one token at a time is bound by reading the weights, so halving
// their size nearly halves the time; each weight is widened back to float32 exactly and the products are
// accumulated in float32. Rows are split across the worker threads in one block each, as in Gemv, and taken
// eight at a time in the packed layout (four in the plain one).
// Legend: W [M, K] row-major bf16 bits, x [K], y [M].
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

/// <summary>bfloat16 weights: conversion and the matrix-vector product.</summary>
public static unsafe class GemvBf16
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

    /// <summary>
    /// Rounds a float32 matrix [M, K] to bfloat16 in the layout <see cref="MultiplyPacked"/> reads: within each
    /// full block of 32 columns of a row, 32-bit lane i holds column i in its low half and column 16 + i in its
    /// high half, so a shift and a mask turn 32 weights into two float32 vectors in column order (no widening
    /// shuffle); the columns after the last full block stay in order.
    /// </summary>
    public static ushort[] Pack(ReadOnlySpan<float> w, int m, int k)
    {
        if (m < 0 || k < 0) throw new ArgumentException($"GemvBf16.Pack: W [{m}, {k}] has a negative size.");
        var packed = new ushort[m * k];
        Pack(w, m, k, packed);
        return packed;
    }

    /// <summary><see cref="Pack(ReadOnlySpan{float}, int, int)"/> into <paramref name="packed"/> (M·K elements or more).</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Pack(ReadOnlySpan<float> w, int m, int k, Span<ushort> packed)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || packed.Length < (long)m * k)
            throw new ArgumentException($"GemvBf16.Pack: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}; the destination {packed.Length}).");
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<float> row = w.Slice(r * k, k);
            Span<ushort> to = packed.Slice(r * k, k);
            int j = 0;
            for (; j + 32 <= k; j += 32)
                for (int i = 0; i < 16; i++)
                {
                    to[j + 2 * i] = Round(row[j + i]);
                    to[j + 2 * i + 1] = Round(row[j + 16 + i]);
                }
            for (; j < k; j++) to[j] = Round(row[j]);
        }
    }

    /// <summary>The float32 value of W[row, column] in the layout of <see cref="Pack(ReadOnlySpan{float}, int, int)"/>.</summary>
    public static float PackedAt(ReadOnlySpan<ushort> packed, int k, int row, int column)
    {
        int block = column & ~31, within = column - block;
        int at = block + 32 <= k ? block + (within < 16 ? 2 * within : 2 * (within - 16) + 1) : column;
        return ToSingle(packed[row * k + at]);
    }

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] with W from <see cref="Pack(ReadOnlySpan{float}, int, int)"/>, β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void MultiplyPacked(ReadOnlySpan<ushort> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(w, m, k, x, y, accumulate, packed: true);

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
            int rows = Gemv.RowsPerItem(m, k);
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
        Finish4(a0, a1, a2, a3, w, k, j, x, y, accumulate);
    }

    /// <summary>
    /// The end of four rows' dot products, for either layout: the lane sums, the columns from <paramref name="j"/> on
    /// (after the last full block, stored in order in both), then y[0..4) (+)= the four sums.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        ushort* w, int k, int j, float* x, float* y, bool accumulate) =>
        Finish4(Gemv.Sum4(a0, a1, a2, a3), w, k, j, x, y, accumulate);

    /// <summary>As above, from the four rows' vector sums already reduced (any vector width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish4(Vector128<float> sums, ushort* w, int k, int j, float* x, float* y, bool accumulate)
    {
        if (j < k)
        {
            ushort* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
            float t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (; j < k; j++)
            {
                float xj = x[j];
                t0 += ToSingle(w[j]) * xj;
                t1 += ToSingle(w1[j]) * xj;
                t2 += ToSingle(w2[j]) * xj;
                t3 += ToSingle(w3[j]) * xj;
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
            int i = start;
            if (Vector512.IsHardwareAccelerated && K >= 32 && Packed)
                for (; i + 8 <= end; i += 8) PackedDot8(w + (long)i * K, K, x, y + i, Accumulate);
            if (Vector512.IsHardwareAccelerated && K >= 32)
                for (; i + 4 <= end; i += 4)
                {
                    if (Packed) PackedDot4(w + (long)i * K, K, x, y + i, Accumulate);
                    else Dot4(w + (long)i * K, K, x, y + i, Accumulate);
                }
            else if (Avx.IsSupported && Fma.IsSupported && K >= 32 && Packed)
                for (; i + 4 <= end; i += 4) PackedDot4Vector256(w + (long)i * K, K, x, y + i, Accumulate);
            for (; i < end; i++)
            {
                float dot = Packed ? PackedDot(w + (long)i * K, x, K) : Dot(w + (long)i * K, x, K);
                y[i] = Accumulate ? y[i] + dot : dot;
            }
        }
    }

    /// <summary>
    /// Eight rows of the packed layout: y[0..8) (+)= W[r]·x. Each slice of x then serves eight rows instead of
    /// four, which made the bfloat16 charlm-lstm decoder 5 % faster per token (alternating with four rows at a
    /// time in one process; float32 rows gained nothing from eight, so Gemv keeps four). Each row's arithmetic is
    /// that of <see cref="PackedDot4"/>, so the results do not depend on how rows are grouped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot8(ushort* w, int k, float* x, float* y, bool accumulate)
    {
        ushort* w4 = w + 4 * k;
        PackedRows4 first = default, second = default;
        Vector512<uint> high = PackedRows4.HighHalves;
        int j = 0;
        for (; j + 32 <= k; j += 32)
        {
            Vector512<float> xLo = Vector512.Load(x + j), xHi = Vector512.Load(x + j + 16);
            first.Add(w + j, k, xLo, xHi, high);
            second.Add(w4 + j, k, xLo, xHi, high);
        }
        first.Finish(w, k, j, x, y, accumulate);
        second.Finish(w4, k, j, x, y + 4, accumulate);
    }

    /// <summary>Four rows of the packed layout: y[0..4) (+)= W[r]·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot4(ushort* w, int k, float* x, float* y, bool accumulate)
    {
        PackedRows4 rows = default;
        Vector512<uint> high = PackedRows4.HighHalves;
        int j = 0;
        for (; j + 32 <= k; j += 32) rows.Add(w + j, k, Vector512.Load(x + j), Vector512.Load(x + j + 16), high);
        rows.Finish(w, k, j, x, y, accumulate);
    }

    /// <summary>
    /// The accumulators of four rows of the packed layout: two per row (low and high halves of each block), so
    /// each FMA chain carries one product per block of 32 columns.
    /// </summary>
    private struct PackedRows4
    {
        public static Vector512<uint> HighHalves => Vector512.Create(0xFFFF0000u);

        private Vector512<float> _a0, _a1, _a2, _a3, _b0, _b1, _b2, _b3;

        /// <summary>
        /// Adds one block of 32 columns: <paramref name="w"/> points at it in the first row (rows k apart);
        /// <paramref name="high"/> is <see cref="HighHalves"/>, kept in a register by the caller's loop.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ushort* w, int k, Vector512<float> xLo, Vector512<float> xHi, Vector512<uint> high)
        {
            Vector512<uint> r0 = Vector512.Load((uint*)w), r1 = Vector512.Load((uint*)(w + k));
            Vector512<uint> r2 = Vector512.Load((uint*)(w + 2 * k)), r3 = Vector512.Load((uint*)(w + 3 * k));
            _a0 = Vector512.FusedMultiplyAdd((r0 << 16).AsSingle(), xLo, _a0);
            _a1 = Vector512.FusedMultiplyAdd((r1 << 16).AsSingle(), xLo, _a1);
            _a2 = Vector512.FusedMultiplyAdd((r2 << 16).AsSingle(), xLo, _a2);
            _a3 = Vector512.FusedMultiplyAdd((r3 << 16).AsSingle(), xLo, _a3);
            _b0 = Vector512.FusedMultiplyAdd((r0 & high).AsSingle(), xHi, _b0);
            _b1 = Vector512.FusedMultiplyAdd((r1 & high).AsSingle(), xHi, _b1);
            _b2 = Vector512.FusedMultiplyAdd((r2 & high).AsSingle(), xHi, _b2);
            _b3 = Vector512.FusedMultiplyAdd((r3 & high).AsSingle(), xHi, _b3);
        }

        /// <summary>y[0..4) (+)= the four sums, with the columns from <paramref name="j"/> on.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Finish(ushort* w, int k, int j, float* x, float* y, bool accumulate) =>
            Finish4(_a0 + _b0, _a1 + _b1, _a2 + _b2, _a3 + _b3, w, k, j, x, y, accumulate);
    }

    /// <summary>
    /// Four rows of the packed layout with 256-bit vectors (AVX2 without AVX-512), two accumulators per row: each
    /// load of a row's 32 columns serves two slices of x, and each slice of x serves the four rows. Without it a
    /// machine without AVX-512 took bfloat16 products one row at a time, slower than float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot4Vector256(ushort* w, int k, float* x, float* y, bool accumulate)
    {
        ushort* w1 = w + k, w2 = w1 + k, w3 = w2 + k;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<uint> high = Vector256.Create(0xFFFF0000u);
        int j = 0;
        for (; j + 32 <= k; j += 32)
        {
            // Lanes 0–7 of a block hold columns 0–7 and 16–23; lanes 8–15 hold 8–15 and 24–31.
            Vector256<float> x0 = Vector256.Load(x + j), x1 = Vector256.Load(x + j + 8), x2 = Vector256.Load(x + j + 16), x3 = Vector256.Load(x + j + 24);
            Vector256<uint> r0 = Vector256.Load((uint*)(w + j)), q0 = Vector256.Load((uint*)(w + j + 16));
            Vector256<uint> r1 = Vector256.Load((uint*)(w1 + j)), q1 = Vector256.Load((uint*)(w1 + j + 16));
            a0 = Vector256.FusedMultiplyAdd((r0 << 16).AsSingle(), x0, a0);
            b0 = Vector256.FusedMultiplyAdd((q0 << 16).AsSingle(), x1, b0);
            a1 = Vector256.FusedMultiplyAdd((r1 << 16).AsSingle(), x0, a1);
            b1 = Vector256.FusedMultiplyAdd((q1 << 16).AsSingle(), x1, b1);
            a0 = Vector256.FusedMultiplyAdd((r0 & high).AsSingle(), x2, a0);
            b0 = Vector256.FusedMultiplyAdd((q0 & high).AsSingle(), x3, b0);
            a1 = Vector256.FusedMultiplyAdd((r1 & high).AsSingle(), x2, a1);
            b1 = Vector256.FusedMultiplyAdd((q1 & high).AsSingle(), x3, b1);
            Vector256<uint> r2 = Vector256.Load((uint*)(w2 + j)), q2 = Vector256.Load((uint*)(w2 + j + 16));
            Vector256<uint> r3 = Vector256.Load((uint*)(w3 + j)), q3 = Vector256.Load((uint*)(w3 + j + 16));
            a2 = Vector256.FusedMultiplyAdd((r2 << 16).AsSingle(), x0, a2);
            b2 = Vector256.FusedMultiplyAdd((q2 << 16).AsSingle(), x1, b2);
            a3 = Vector256.FusedMultiplyAdd((r3 << 16).AsSingle(), x0, a3);
            b3 = Vector256.FusedMultiplyAdd((q3 << 16).AsSingle(), x1, b3);
            a2 = Vector256.FusedMultiplyAdd((r2 & high).AsSingle(), x2, a2);
            b2 = Vector256.FusedMultiplyAdd((q2 & high).AsSingle(), x3, b2);
            a3 = Vector256.FusedMultiplyAdd((r3 & high).AsSingle(), x2, a3);
            b3 = Vector256.FusedMultiplyAdd((q3 & high).AsSingle(), x3, b3);
        }
        Finish4(Gemv.Sum4(a0 + b0, a1 + b1, a2 + b2, a3 + b3), w, k, j, x, y, accumulate);
    }

    /// <summary>One row of the packed layout, in any vector width (or none).</summary>
    private static float PackedDot(ushort* w, float* x, int k)
    {
        int j = 0;
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> acc = default;
            Vector512<uint> high = Vector512.Create(0xFFFF0000u);
            for (; j + 32 <= k; j += 32)
            {
                Vector512<uint> r = Vector512.Load((uint*)(w + j));
                acc = Vector512.FusedMultiplyAdd((r << 16).AsSingle(), Vector512.Load(x + j), acc);
                acc = Vector512.FusedMultiplyAdd((r & high).AsSingle(), Vector512.Load(x + j + 16), acc);
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            // Lanes 0–7 of a block hold columns 0–7 and 16–23; lanes 8–15 hold 8–15 and 24–31.
            Vector256<float> acc = default;
            Vector256<uint> high = Vector256.Create(0xFFFF0000u);
            for (; j + 32 <= k; j += 32)
            {
                Vector256<uint> r = Vector256.Load((uint*)(w + j)), q = Vector256.Load((uint*)(w + j + 16));
                acc = Vector256.FusedMultiplyAdd((r << 16).AsSingle(), Vector256.Load(x + j), acc);
                acc = Vector256.FusedMultiplyAdd((r & high).AsSingle(), Vector256.Load(x + j + 16), acc);
                acc = Vector256.FusedMultiplyAdd((q << 16).AsSingle(), Vector256.Load(x + j + 8), acc);
                acc = Vector256.FusedMultiplyAdd((q & high).AsSingle(), Vector256.Load(x + j + 24), acc);
            }
            sum = Vector256.Sum(acc);
        }
        else
        {
            for (; j + 32 <= k; j += 32)
                for (int i = 0; i < 16; i++)
                    sum += ToSingle(w[j + 2 * i]) * x[j + i] + ToSingle(w[j + 2 * i + 1]) * x[j + 16 + i];
        }
        for (; j < k; j++) sum += ToSingle(w[j]) * x[j];
        return sum;
    }
}
