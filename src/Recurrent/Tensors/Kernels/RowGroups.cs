// The row grouping of the packed matrix-vector layouts (GemvPacked.cs, GemvBf16Packed.cs). Rows go in groups of
// eight from row 0 while eight rows remain, then one group of four if four remain, then single rows. A group of
// g rows starting at row r0 fills elements [r0·K, (r0 + g)·K): first its full blocks of `block` columns, block b
// holding the g rows' slices one row after another (row i at b·block·g + block·i), then the columns after the
// last full block, one row after another (row i at full·g + i·(K − full), full = block·⌊K / block⌋).
// A group is then one sequential stream in memory, which the hardware prefetcher follows; rows stored apart are
// g short streams (1–4 KB each for the decoder's matrices), too short for it.
namespace Recurrent.Tensors;

internal static class RowGroups
{
    /// <summary>Rows in the group that starts at row <paramref name="row"/> of M: 8, 4 or 1.</summary>
    public static int Rows(int m, int row)
    {
        int eights = m & ~7;
        if (row < eights) return 8;
        return row < eights + 4 && m - eights >= 4 ? 4 : 1;
    }

    /// <summary>The first row of the group that holds row <paramref name="row"/>.</summary>
    public static int Start(int m, int row)
    {
        int eights = m & ~7;
        if (row < eights) return row & ~7;
        return row < eights + 4 && m - eights >= 4 ? eights : row;
    }

    /// <summary>
    /// Copies W [M, K] (row-major) into the layout of blocks <paramref name="block"/> columns wide, the elements of a
    /// block's row in order (the float32 and int8 layouts; bfloat16 pairs its columns within a block on top of this).
    /// </summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes.</exception>
    public static void Pack<T>(ReadOnlySpan<T> w, int m, int k, int block, Span<T> packed, string caller) where T : unmanaged
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || packed.Length < (long)m * k)
            throw new ArgumentException($"{caller}: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}; the destination {packed.Length}).");
        int full = k / block * block;
        for (int r = 0; r < m; r++)
        {
            ReadOnlySpan<T> row = w.Slice(r * k, k);
            for (int c = 0; c < full; c += block) row.Slice(c, block).CopyTo(packed[Index(m, k, block, r, c)..]);
            row[full..].CopyTo(packed[Index(m, k, block, r, full)..]);
        }
    }

    /// <summary>Where W[row, column] of a matrix [M, K] is in the layout of blocks <paramref name="block"/> columns wide.</summary>
    public static int Index(int m, int k, int block, int row, int column)
    {
        int first = Start(m, row), g = Rows(m, first), i = row - first, full = k / block * block;
        int at = first * k;
        if (column >= full) return at + full * g + i * (k - full) + (column - full);
        return at + column / block * block * g + block * i + column % block;
    }
}
