// Gate order of the recurrent weights: PyTorch (and this library) stacks the gate blocks of W_ih, W_hh and
// the biases in rows as LSTM i, f, g, o and GRU r, z, n; ONNX's LSTM and GRU operators expect LSTM i, o, f, c
// and GRU z, r, h. An RNN has one block. This file is the only place that reorders them.
using Recurrent.Nn;

namespace Recurrent.Onnx;

/// <summary>Which convention a block of gate rows follows.</summary>
public enum GateLayout
{
    /// <summary>PyTorch's order: LSTM i, f, g, o; GRU r, z, n.</summary>
    PyTorch,
    /// <summary>ONNX's order: LSTM i, o, f, c; GRU z, r, h.</summary>
    Onnx,
}

/// <summary>Reorders gate blocks between PyTorch's and ONNX's layouts.</summary>
public static class OnnxGates
{
    /// <summary>
    /// Reorders the gate blocks of <paramref name="rows"/> [G·H, columns] (a weight; a bias has one column)
    /// from the <paramref name="from"/> layout to the other one. Block k of the ONNX layout is block
    /// <c>perm[k]</c> of PyTorch's, with perm LSTM [0, 3, 1, 2] (i, o, f, g) and GRU [1, 0, 2] (z, r, n).
    /// </summary>
    /// <param name="rows">[G·H, columns] row-major, G the number of gate blocks of <paramref name="cell"/>.</param>
    /// <param name="cell">The cell, which fixes G and the permutation.</param>
    /// <param name="hidden">H, the rows of one gate block.</param>
    /// <param name="columns">The row length (input size, hidden size, or 1 for a bias).</param>
    /// <param name="from">The layout of <paramref name="rows"/>; the result has the other one.</param>
    /// <returns>A new array [G·H, columns] in the other layout.</returns>
    /// <exception cref="ArgumentException">The length is not G·H·columns.</exception>
    public static float[] Reorder(ReadOnlySpan<float> rows, CellKind cell, int hidden, int columns, GateLayout from)
    {
        int[] perm = cell switch
        {
            CellKind.Lstm => [0, 3, 1, 2],
            CellKind.Gru or CellKind.GruOriginal => [1, 0, 2],
            _ => [0],
        };
        int block = hidden * columns;
        if (rows.Length != perm.Length * block)
            throw new ArgumentException($"Gate rows of a {cell} with hidden size {hidden} and {columns} columns must hold {perm.Length * block} values; got {rows.Length}.", nameof(rows));
        var result = new float[rows.Length];
        for (int k = 0; k < perm.Length; k++)
        {
            // ONNX block k ⇔ PyTorch block perm[k].
            (int source, int target) = from == GateLayout.PyTorch ? (perm[k], k) : (k, perm[k]);
            rows.Slice(source * block, block).CopyTo(result.AsSpan(target * block, block));
        }
        return result;
    }
}
