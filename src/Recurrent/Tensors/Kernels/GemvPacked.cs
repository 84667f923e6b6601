// The packed float32 layout that the streaming decoder reads, and its matrix-vector products.
// Rows go in the groups of RowGroups.cs, in blocks of 16 columns (one 512-bit vector), so each group of rows is read
// as one sequential stream. Each row gets the arithmetic of the plain layout's four-row product (Gemv.Dot4Vector512:
// one accumulator per row over the blocks, the four-way lane sum, then the columns after the last block in order),
// in a group of eight as in a group of four, so results do not depend on the grouping or on the thread count.
// Legend: W [M, K], x [K], y [M]; g rows in a group, nb full blocks of 16 columns, tail K − 16·nb.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Tensors;

public static unsafe partial class Gemv
{
    private const int Block = 16;

    /// <summary>Copies a float32 matrix [M, K] into the packed layout that <see cref="MultiplyPacked"/> reads.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Pack(ReadOnlySpan<float> w, int m, int k, Span<float> packed) =>
        RowGroups.Pack(w, m, k, Block, packed, "Gemv.Pack");

    /// <summary>W[row, column] in the packed layout of a matrix [M, K].</summary>
    public static float PackedAt(ReadOnlySpan<float> packed, int m, int k, int row, int column) =>
        packed[RowGroups.Index(m, k, Block, row, column)];

    /// <summary>y[i] = β·y[i] + Σ_k W[i, k]·x[k] with W from <see cref="Pack"/>, β 0 or 1.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void MultiplyPacked(ReadOnlySpan<float> w, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(w, m, k, x, y, accumulate, packed: true);

    /// <summary>y[0..g) (+)= the products of the group of <paramref name="g"/> rows packed from <paramref name="w"/>.</summary>
    private static void PackedGroup(float* w, int g, int k, float* x, float* y, bool accumulate)
    {
        int blocks = k / Block, full = blocks * Block, tail = k - full;
        if (g == 1 || blocks == 0)
        {
            PlainRows(w, g, k, x, y, accumulate); // a lone row, or rows without a full block, are stored in order
            return;
        }
        float* tails = w + (long)full * g;
        if (Vector512.IsHardwareAccelerated)
        {
            if (g == 8)
            {
                PackedRows4 first = default, second = default;
                for (int b = 0; b < blocks; b++, w += 8 * Block)
                {
                    Vector512<float> xv = Vector512.Load(x + b * Block);
                    first.Add(w, xv);
                    second.Add(w + 4 * Block, xv);
                }
                first.Finish(tails, tail, x + full, y, accumulate);
                second.Finish(tails + 4 * tail, tail, x + full, y + 4, accumulate);
            }
            else
            {
                PackedRows4 rows = default;
                for (int b = 0; b < blocks; b++, w += 4 * Block) rows.Add(w, Vector512.Load(x + b * Block));
                rows.Finish(tails, tail, x + full, y, accumulate);
            }
            return;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (int r = 0; r < g; r += 4) PackedDot4Vector256(w + Block * r, Block * g, blocks, tails + r * tail, tail, x, y + r, accumulate);
            return;
        }
        for (int r = 0; r < g; r++)
        {
            float dot = 0f;
            for (int b = 0; b < blocks; b++)
                dot += TensorPrimitives.Dot(new ReadOnlySpan<float>(w + (long)b * Block * g + Block * r, Block), new ReadOnlySpan<float>(x + b * Block, Block));
            for (int c = 0; c < tail; c++) dot += tails[r * tail + c] * x[full + c];
            y[r] = accumulate ? y[r] + dot : dot;
        }
    }

    /// <summary>The accumulators of four rows whose 16-float blocks follow one another, one per row as in <see cref="Dot4Vector512"/>.</summary>
    private struct PackedRows4
    {
        private Vector512<float> _a0, _a1, _a2, _a3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(float* w, Vector512<float> xv)
        {
            _a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w), xv, _a0);
            _a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w + Block), xv, _a1);
            _a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 2 * Block), xv, _a2);
            _a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w + 3 * Block), xv, _a3);
        }

        /// <summary>y[0..4) (+)= the four sums, with the <paramref name="tail"/> columns after the last block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Finish(float* tails, int tail, float* xTail, float* y, bool accumulate)
        {
            Vector128<float> sums = Sum4(_a0, _a1, _a2, _a3);
            if (tail == 0)
            {
                if (accumulate) sums += Vector128.Load(y);
                sums.Store(y);
            }
            else Gemv.Finish(tails, tail, tail, xTail, y, accumulate, sums[0], sums[1], sums[2], sums[3]);
        }
    }

    /// <summary>
    /// Four rows with 256-bit vectors (no AVX-512), their 16-float blocks <paramref name="blockStride"/> apart, each as
    /// two halves, and then the first eight columns of the tail if there are as many: the order of <see cref="Dot4Vector256"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackedDot4Vector256(float* w, int blockStride, int blocks, float* tails, int tail, float* x, float* y, bool accumulate)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++, w += blockStride)
            for (int half = 0; half < Block; half += 8)
            {
                var xv = Vector256.Load(x + b * Block + half);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + half), xv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + Block + half), xv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w + 2 * Block + half), xv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w + 3 * Block + half), xv, a3);
            }
        float* xTail = x + blocks * Block;
        int done = 0;
        if (tail >= 8)
        {
            var xv = Vector256.Load(xTail);
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(tails), xv, a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(tails + tail), xv, a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(tails + 2 * tail), xv, a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(tails + 3 * tail), xv, a3);
            done = 8;
        }
        Finish(tails + done, tail, tail - done, xTail + done, y, accumulate, Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
    }
}
