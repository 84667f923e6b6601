// The packed int8 layout that the streaming decoder reads, and its matrix-vector product.
// Rows go in the groups of RowGroups.cs, in blocks of 64 columns (one 512-bit vector of weights), so each group of
// rows is read as one sequential stream. The sums are exact integers, so the layout changes no result.
// Legend: W [M, K] quantized, x [K], y [M]; g rows in a group, nb full blocks of 64 columns, tail K − 64·nb.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

public static unsafe partial class GemvInt8
{
    private const int Block = 64;

    /// <summary>Copies quantized weights [M, K] (row-major, as <see cref="Quantize"/> gives them) into the packed layout that <see cref="MultiplyPacked"/> reads.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Pack(ReadOnlySpan<sbyte> q, int m, int k, Span<sbyte> packed) =>
        RowGroups.Pack(q, m, k, Block, packed, "GemvInt8.Pack");

    /// <summary>The quantized weight of row <paramref name="row"/>, column <paramref name="column"/> in the packed layout of a matrix [M, K].</summary>
    public static sbyte PackedAt(ReadOnlySpan<sbyte> packed, int m, int k, int row, int column) =>
        packed[RowGroups.Index(m, k, Block, row, column)];

    /// <summary>As <see cref="Multiply"/> with the weights from <see cref="Pack"/>; the same results.</summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes, or x holds a value that is not finite.</exception>
    public static void MultiplyPacked(ReadOnlySpan<sbyte> packed, ReadOnlySpan<float> scales, ReadOnlySpan<int> rowSums, int m, int k,
        ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(packed, scales, rowSums, m, k, x, y, accumulate, packed: true);

    /// <summary>y[0..g) (+)= the results of the group of <paramref name="g"/> rows packed from <paramref name="w"/>.</summary>
    private static void PackedGroup(sbyte* w, int g, int k, byte* a, int* rowSums, float* scales, float vectorScale, float* y, bool accumulate)
    {
        int blocks = k / Block, full = blocks * Block, tail = k - full;
        bool wide = Avx512BW.IsSupported;
        if (g == 1 || blocks == 0)
        {
            // A lone row, or rows without a full block, are stored in order.
            for (int r = 0; r < g; r++) Store(Dot(w + (long)r * k, a, k), rowSums, scales, vectorScale, y, r, accumulate);
            return;
        }
        sbyte* tails = w + (long)full * g;
        if (!wide && !Avx2.IsSupported)
        {
            for (int r = 0; r < g; r++)
            {
                int dot = 0;
                for (int b = 0; b < blocks; b++)
                {
                    sbyte* wb = w + (long)b * Block * g + Block * r;
                    for (int c = 0; c < Block; c++) dot += wb[c] * a[b * Block + c];
                }
                for (int c = 0; c < tail; c++) dot += tails[r * tail + c] * a[full + c];
                Store(dot, rowSums, scales, vectorScale, y, r, accumulate);
            }
            return;
        }
        Rows4 first = default, second = default;
        for (int b = 0; b < blocks; b++, w += Block * g)
        {
            byte* ab = a + b * Block;
            if (wide)
            {
                Vector512<byte> av = Vector512.Load(ab);
                first.Add(w, av);
                if (g == 8) second.Add(w + 4 * Block, av);
            }
            else
                for (int half = 0; half < Block; half += 32)
                {
                    Vector256<byte> av = Vector256.Load(ab + half);
                    first.Add(w + half, av);
                    if (g == 8) second.Add(w + 4 * Block + half, av);
                }
        }
        Vector128<int> dots = first.Finish(wide, tails, tail, a + full);
        for (int r = 0; r < 4; r++) Store(dots[r], rowSums, scales, vectorScale, y, r, accumulate);
        if (g < 8) return;
        dots = second.Finish(wide, tails + 4 * tail, tail, a + full);
        for (int r = 4; r < 8; r++) Store(dots[r - 4], rowSums, scales, vectorScale, y, r, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int dot, int* rowSums, float* scales, float vectorScale, float* y, int r, bool accumulate)
    {
        float value = Finish(dot, rowSums[r], scales[r], vectorScale);
        y[r] = accumulate ? y[r] + value : value;
    }

    /// <summary>The integer accumulators of four rows whose blocks follow one another (64 bytes apart), in 512- or 256-bit vectors.</summary>
    private struct Rows4
    {
        private Vector512<int> _a0, _a1, _a2, _a3;
        private Vector256<int> _b0, _b1, _b2, _b3;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(sbyte* w, Vector512<byte> av)
        {
            Vector512<short> ones = Vector512<short>.One;
            _a0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(w)), ones);
            _a1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(w + Block)), ones);
            _a2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(w + 2 * Block)), ones);
            _a3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(w + 3 * Block)), ones);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(sbyte* w, Vector256<byte> av)
        {
            Vector256<short> ones = Vector256<short>.One;
            _b0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(w)), ones);
            _b1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(w + Block)), ones);
            _b2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(w + 2 * Block)), ones);
            _b3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(w + 3 * Block)), ones);
        }

        /// <summary>The four rows' Σ q·a, with the <paramref name="tail"/> columns after the last block.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly Vector128<int> Finish(bool wide, sbyte* tails, int tail, byte* aTail) => wide
            ? Finish4(_a0.GetLower() + _a0.GetUpper(), _a1.GetLower() + _a1.GetUpper(), _a2.GetLower() + _a2.GetUpper(), _a3.GetLower() + _a3.GetUpper(), tails, tail, tail, aTail)
            : Finish4(_b0, _b1, _b2, _b3, tails, tail, tail, aTail);
    }
}
