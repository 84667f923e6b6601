// The packed bfloat16 layout that the streaming decoder reads, and its matrix-vector products.
// Rows go in the groups of RowGroups.cs, in blocks of 32 columns. Within a block's row, 32-bit lane l holds
// column l in its low half and column 16 + l in its high half, so a shift and a mask turn 32 weights into two
// float32 vectors in column order (no widening shuffle). A group is read as one sequential stream: with the rows
// stored apart, eight rows of 512 or 1,024 columns were eight short streams, and a 6,144×1,024 product read
// 28–49 GB/s on one core and 111–122 GB/s on two, against 70–75 and 130–152 grouped.
// Each row gets the arithmetic of the plain layout's four-row product (GemvBf16.Dot4), in a group of eight as
// in a group of four, so results do not depend on the grouping or on the thread count.
// Legend: W [M, K] bf16 bits, x [K], y [M]; g rows in a group, nb full blocks of 32 columns, tail K − 32·nb.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

public static unsafe partial class GemvBf16
{
    private const int Block = 32;

    /// <summary>Rounds a float32 matrix [M, K] to bfloat16 in the packed layout that <see cref="MultiplyPacked"/> reads.</summary>
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
            for (int c = 0; c < k; c++) packed[PackedIndex(m, k, r, c)] = Round(row[c]);
        }
    }

    /// <summary>The float32 value of W[row, column] in the packed layout of a matrix [M, K].</summary>
    public static float PackedAt(ReadOnlySpan<ushort> packed, int m, int k, int row, int column) =>
        ToSingle(packed[PackedIndex(m, k, row, column)]);

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] with W from <see cref="Pack(ReadOnlySpan{float}, int, int)"/>, β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void MultiplyPacked(ReadOnlySpan<ushort> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(w, m, k, x, y, accumulate, packed: true);

    /// <summary>Where W[row, column] is in the packed layout.</summary>
    private static int PackedIndex(int m, int k, int row, int column)
    {
        int at = RowGroups.Index(m, k, Block, row, column), within = column % Block;
        if (column >= k / Block * Block) return at;
        return at - within + (within < 16 ? 2 * within : 2 * (within - 16) + 1);
    }

    /// <summary>y[0..g) (+)= the products of the group of <paramref name="g"/> rows packed from <paramref name="w"/>.</summary>
    private static void PackedGroup(ushort* w, int g, int k, float* x, float* y, bool accumulate)
    {
        int blocks = k / Block, full = blocks * Block, tail = k - full;
        ushort* tails = w + (long)full * g;
        if (g > 1 && blocks > 0 && Vector512.IsHardwareAccelerated)
        {
            if (g == 8) PackedDot8(w, blocks, tails, tail, x, y, accumulate);
            else PackedDot4(w, Block * 4, blocks, tails, tail, x, y, accumulate);
            return;
        }
        if (g > 1 && blocks > 0 && Avx.IsSupported && Fma.IsSupported)
        {
            for (int r = 0; r < g; r += 4)
                PackedDot4Vector256(w + Block * r, Block * g, blocks, tails + r * tail, tail, x, y + r, accumulate);
            return;
        }
        for (int r = 0; r < g; r++)
        {
            float dot = PackedDot(w + Block * r, Block * g, blocks, tails + r * tail, tail, x);
            y[r] = accumulate ? y[r] + dot : dot;
        }
    }

    /// <summary>
    /// Eight rows: y[0..8) (+)= W[r]·x. Each slice of x then serves eight rows instead of four, which made the
    /// bfloat16 charlm-lstm decoder 5 % faster per token (alternating with four rows at a time in one process).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot8(ushort* w, int blocks, ushort* tails, int tail, float* x, float* y, bool accumulate)
    {
        PackedRows4 first = default, second = default;
        Vector512<uint> high = PackedRows4.HighHalves;
        for (int b = 0; b < blocks; b++, w += 8 * Block)
        {
            Vector512<float> xLo = Vector512.Load(x + b * Block), xHi = Vector512.Load(x + b * Block + 16);
            first.Add(w, xLo, xHi, high);
            second.Add(w + 4 * Block, xLo, xHi, high);
        }
        int full = blocks * Block;
        first.Finish(tails, tail, x + full, y, accumulate);
        second.Finish(tails + 4 * tail, tail, x + full, y + 4, accumulate);
    }

    /// <summary>Four rows, their blocks <paramref name="blockStride"/> apart: y[0..4) (+)= W[r]·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot4(ushort* w, int blockStride, int blocks, ushort* tails, int tail, float* x, float* y, bool accumulate)
    {
        PackedRows4 rows = default;
        Vector512<uint> high = PackedRows4.HighHalves;
        for (int b = 0; b < blocks; b++, w += blockStride)
            rows.Add(w, Vector512.Load(x + b * Block), Vector512.Load(x + b * Block + 16), high);
        rows.Finish(tails, tail, x + blocks * Block, y, accumulate);
    }

    /// <summary>
    /// The accumulators of four rows whose 32-weight blocks follow one another: two per row (low and high halves of
    /// each block), so each FMA chain carries one product per block, as in <see cref="Dot4"/>.
    /// </summary>
    private struct PackedRows4
    {
        public static Vector512<uint> HighHalves => Vector512.Create(0xFFFF0000u);

        private Vector512<float> _a0, _a1, _a2, _a3, _b0, _b1, _b2, _b3;

        /// <summary>
        /// Adds one block of the four rows (at <paramref name="w"/>, 32 weights apart); <paramref name="high"/> is
        /// <see cref="HighHalves"/>, kept in a register by the caller's loop.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ushort* w, Vector512<float> xLo, Vector512<float> xHi, Vector512<uint> high)
        {
            Vector512<uint> r0 = Vector512.Load((uint*)w), r1 = Vector512.Load((uint*)(w + Block));
            Vector512<uint> r2 = Vector512.Load((uint*)(w + 2 * Block)), r3 = Vector512.Load((uint*)(w + 3 * Block));
            _a0 = Vector512.FusedMultiplyAdd((r0 << 16).AsSingle(), xLo, _a0);
            _a1 = Vector512.FusedMultiplyAdd((r1 << 16).AsSingle(), xLo, _a1);
            _a2 = Vector512.FusedMultiplyAdd((r2 << 16).AsSingle(), xLo, _a2);
            _a3 = Vector512.FusedMultiplyAdd((r3 << 16).AsSingle(), xLo, _a3);
            _b0 = Vector512.FusedMultiplyAdd((r0 & high).AsSingle(), xHi, _b0);
            _b1 = Vector512.FusedMultiplyAdd((r1 & high).AsSingle(), xHi, _b1);
            _b2 = Vector512.FusedMultiplyAdd((r2 & high).AsSingle(), xHi, _b2);
            _b3 = Vector512.FusedMultiplyAdd((r3 & high).AsSingle(), xHi, _b3);
        }

        /// <summary>y[0..4) (+)= the four sums, with the <paramref name="tail"/> columns after the last block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Finish(ushort* tails, int tail, float* xTail, float* y, bool accumulate) =>
            Finish4(_a0 + _b0, _a1 + _b1, _a2 + _b2, _a3 + _b3, tails, tail, tail, xTail, y, accumulate);
    }

    /// <summary>
    /// Four rows with 256-bit vectors (AVX2 without AVX-512), two accumulators per row: each load of a row's 32
    /// columns serves two slices of x, and each slice of x serves the four rows. Without it a machine without AVX-512
    /// took bfloat16 products one row at a time, slower than float32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot4Vector256(ushort* w, int blockStride, int blocks, ushort* tails, int tail, float* x, float* y, bool accumulate)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        Vector256<uint> high = Vector256.Create(0xFFFF0000u);
        for (int b = 0; b < blocks; b++, w += blockStride)
        {
            // Lanes 0–7 of a block hold columns 0–7 and 16–23; lanes 8–15 hold 8–15 and 24–31.
            float* xb = x + b * Block;
            Vector256<float> x0 = Vector256.Load(xb), x1 = Vector256.Load(xb + 8), x2 = Vector256.Load(xb + 16), x3 = Vector256.Load(xb + 24);
            ushort* w1 = w + Block, w2 = w1 + Block, w3 = w2 + Block;
            Vector256<uint> r0 = Vector256.Load((uint*)w), q0 = Vector256.Load((uint*)(w + 16));
            Vector256<uint> r1 = Vector256.Load((uint*)w1), q1 = Vector256.Load((uint*)(w1 + 16));
            a0 = Vector256.FusedMultiplyAdd((r0 << 16).AsSingle(), x0, a0);
            b0 = Vector256.FusedMultiplyAdd((q0 << 16).AsSingle(), x1, b0);
            a1 = Vector256.FusedMultiplyAdd((r1 << 16).AsSingle(), x0, a1);
            b1 = Vector256.FusedMultiplyAdd((q1 << 16).AsSingle(), x1, b1);
            a0 = Vector256.FusedMultiplyAdd((r0 & high).AsSingle(), x2, a0);
            b0 = Vector256.FusedMultiplyAdd((q0 & high).AsSingle(), x3, b0);
            a1 = Vector256.FusedMultiplyAdd((r1 & high).AsSingle(), x2, a1);
            b1 = Vector256.FusedMultiplyAdd((q1 & high).AsSingle(), x3, b1);
            Vector256<uint> r2 = Vector256.Load((uint*)w2), q2 = Vector256.Load((uint*)(w2 + 16));
            Vector256<uint> r3 = Vector256.Load((uint*)w3), q3 = Vector256.Load((uint*)(w3 + 16));
            a2 = Vector256.FusedMultiplyAdd((r2 << 16).AsSingle(), x0, a2);
            b2 = Vector256.FusedMultiplyAdd((q2 << 16).AsSingle(), x1, b2);
            a3 = Vector256.FusedMultiplyAdd((r3 << 16).AsSingle(), x0, a3);
            b3 = Vector256.FusedMultiplyAdd((q3 << 16).AsSingle(), x1, b3);
            a2 = Vector256.FusedMultiplyAdd((r2 & high).AsSingle(), x2, a2);
            b2 = Vector256.FusedMultiplyAdd((q2 & high).AsSingle(), x3, b2);
            a3 = Vector256.FusedMultiplyAdd((r3 & high).AsSingle(), x2, a3);
            b3 = Vector256.FusedMultiplyAdd((q3 & high).AsSingle(), x3, b3);
        }
        Finish4(Gemv.Sum4(a0 + b0, a1 + b1, a2 + b2, a3 + b3), tails, tail, tail, x + blocks * Block, y, accumulate);
    }

    /// <summary>One row, its blocks <paramref name="blockStride"/> apart, in any vector width (or none).</summary>
    private static float PackedDot(ushort* w, int blockStride, int blocks, ushort* tailColumns, int tail, float* x)
    {
        float sum = 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> acc = default;
            Vector512<uint> high = Vector512.Create(0xFFFF0000u);
            for (int b = 0; b < blocks; b++)
            {
                Vector512<uint> r = Vector512.Load((uint*)(w + (long)b * blockStride));
                acc = Vector512.FusedMultiplyAdd((r << 16).AsSingle(), Vector512.Load(x + b * Block), acc);
                acc = Vector512.FusedMultiplyAdd((r & high).AsSingle(), Vector512.Load(x + b * Block + 16), acc);
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            // Lanes 0–7 of a block hold columns 0–7 and 16–23; lanes 8–15 hold 8–15 and 24–31.
            Vector256<float> acc = default;
            Vector256<uint> high = Vector256.Create(0xFFFF0000u);
            for (int b = 0; b < blocks; b++)
            {
                ushort* wb = w + (long)b * blockStride;
                float* xb = x + b * Block;
                Vector256<uint> r = Vector256.Load((uint*)wb), q = Vector256.Load((uint*)(wb + 16));
                acc = Vector256.FusedMultiplyAdd((r << 16).AsSingle(), Vector256.Load(xb), acc);
                acc = Vector256.FusedMultiplyAdd((r & high).AsSingle(), Vector256.Load(xb + 16), acc);
                acc = Vector256.FusedMultiplyAdd((q << 16).AsSingle(), Vector256.Load(xb + 8), acc);
                acc = Vector256.FusedMultiplyAdd((q & high).AsSingle(), Vector256.Load(xb + 24), acc);
            }
            sum = Vector256.Sum(acc);
        }
        else
        {
            for (int b = 0; b < blocks; b++)
            {
                ushort* wb = w + (long)b * blockStride;
                float* xb = x + b * Block;
                for (int i = 0; i < 16; i++) sum += ToSingle(wb[2 * i]) * xb[i] + ToSingle(wb[2 * i + 1]) * xb[16 + i];
            }
        }
        float* xTail = x + blocks * Block;
        for (int c = 0; c < tail; c++) sum += ToSingle(tailColumns[c]) * xTail[c];
        return sum;
    }
}
