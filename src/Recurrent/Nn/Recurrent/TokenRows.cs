// Row gather and scatter-add by token id for a recurrent layer fed straight from an embedding table
// (DirectionPass.ProjectTokens): Pre[r] = Table[tokens[r]] forward, dTable[tokens[r]] += dPre[r] backward.
// Both split the work over the cores in fixed pieces (rows for the gather, column blocks for the scatter),
// and every element of dTable gets its terms in row order, so results do not depend on the thread count.
// Legend: n rows (T·B), V table rows, G columns.
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Nn;

internal static unsafe class TokenRows
{
    private const int GatherRows = 256, ScatterColumns = 256;

    /// <summary>dst[r, :] = table[tokens[r], :] for every r; dst [n, G], table [V, G].</summary>
    public static void Gather(ReadOnlySpan<float> table, int[] tokens, Span<float> dst, int g)
    {
        fixed (float* pt = table)
        fixed (float* pd = dst)
        {
            var job = new Job { Table = pt, TableLength = table.Length, Rows = pd, Tokens = tokens, G = g, Scatter = false };
            Parallelism.For(job, (tokens.Length + GatherRows - 1) / GatherRows);
        }
    }

    /// <summary>dst[r, :] = table[ids[r], :] for every r, on the calling thread; dst [ids.Length, G], table [V, G].</summary>
    public static void CopyRows(ReadOnlySpan<float> table, ReadOnlySpan<int> ids, Span<float> dst, int g)
    {
        for (int r = 0; r < ids.Length; r++) table.Slice(ids[r] * g, g).CopyTo(dst.Slice(r * g, g));
    }

    /// <summary>table[tokens[r], :] += src[r, :] for r in order; src [n, G], table [V, G].</summary>
    public static void ScatterAdd(ReadOnlySpan<float> src, int[] tokens, Span<float> table, int g)
    {
        fixed (float* ps = src)
        fixed (float* pt = table)
        {
            var job = new Job { Table = pt, Rows = ps, Tokens = tokens, G = g, Scatter = true };
            Parallelism.For(job, (g + ScatterColumns - 1) / ScatterColumns);
        }
    }

    private sealed class Job : IParallelJob
    {
        public float* Table, Rows;
        public int[] Tokens = [];
        public int G, TableLength;
        public bool Scatter;

        public void Execute(int index)
        {
            if (Scatter)
            {
                int c0 = index * ScatterColumns, width = Math.Min(ScatterColumns, G - c0);
                for (int r = 0; r < Tokens.Length; r++)
                {
                    var row = new Span<float>(Table + (long)Tokens[r] * G + c0, width);
                    TensorPrimitives.Add(row, new ReadOnlySpan<float>(Rows + (long)r * G + c0, width), row);
                }
            }
            else
            {
                int r0 = index * GatherRows, n = Math.Min(Tokens.Length, r0 + GatherRows) - r0;
                CopyRows(new ReadOnlySpan<float>(Table, TableLength), Tokens.AsSpan(r0, n), new Span<float>(Rows + (long)r0 * G, n * G), G);
            }
        }
    }
}
