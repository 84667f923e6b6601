// Embedding lookup (gather), forward and backward together, as torch.nn.functional.embedding.
// Legend: V vocabulary rows, E embedding size, n = number of indices.
//   y[i, :] = W[idx[i], :]              y: [prefix..., E], W: [V, E]
//   dW[idx[i], :] += dy[i, :]           (scatter-add in index order; repeated indices add up)
// Only the rows that were looked up receive a gradient; every other row of dW is left untouched.
using System.Numerics.Tensors;

namespace Recurrent.Autograd;

/// <summary>Embedding lookup.</summary>
public static class EmbeddingOps
{
    /// <summary>Gathers rows of <paramref name="weight"/>: y[..., :] = weight[indices[...], :].</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="weight">The table, [V, E].</param>
    /// <param name="indices">Row numbers in [0, V), n of them, row-major over <paramref name="outputShapePrefix"/>.</param>
    /// <param name="outputShapePrefix">The leading dimensions of the result (product n), e.g. [T, B]; null means [n].</param>
    /// <returns>[prefix..., E].</returns>
    /// <exception cref="ArgumentException">The weight is not 2-D, the prefix does not hold n elements, or an index is out of range.</exception>
    public static Variable Embedding(this Tape tape, Variable weight, ReadOnlySpan<int> indices, int[]? outputShapePrefix = null)
    {
        if (weight.Value.Rank != 2)
            throw new ArgumentException($"Embedding: the weight must be 2-D [V, E]; got {weight.Value.ShapeText}.", nameof(weight));
        int vocabulary = weight.Value.Dim(0), size = weight.Value.Dim(1);
        int[] prefix = outputShapePrefix ?? [indices.Length];
        long prefixLength = 1;
        foreach (int d in prefix) prefixLength *= d;
        if (prefixLength != indices.Length)
            throw new ArgumentException($"Embedding: the output shape prefix [{string.Join(", ", prefix)}] holds {prefixLength} positions but {indices.Length} indices were given; pass a prefix whose product is the number of indices.", nameof(outputShapePrefix));
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)vocabulary)
                throw new ArgumentException($"Embedding: index {indices[i]} at position {i} is out of range for a table of V = {vocabulary} rows; indices must be in [0, {vocabulary - 1}].", nameof(indices));
        }
        int[] shape = [.. prefix, size];
        Variable y = tape.Result(shape, tape.NeedsGrad(weight), clear: false);
        ReadOnlySpan<float> w = weight.Value.Span;
        Span<float> ys = y.Value.Span;
        for (int i = 0; i < indices.Length; i++) w.Slice(indices[i] * size, size).CopyTo(ys.Slice(i * size, size));
        if (y.RequiresGrad) tape.Record(new EmbeddingNode(weight, indices.ToArray(), y, size));
        return y;
    }

    private sealed class EmbeddingNode(Variable weight, int[] indices, Variable y, int size) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !weight.RequiresGrad || size == 0) return;
            ReadOnlySpan<float> dY = gradY.Span;
            Span<float> dW = weight.EnsureGrad().Span;
            // y[i, :] = W[idx[i], :]  →  dW[idx[i], :] += dy[i, :]
            for (int i = 0; i < indices.Length; i++)
            {
                Span<float> row = dW.Slice(indices[i] * size, size);
                TensorPrimitives.Add(row, dY.Slice(i * size, size), row);
            }
        }
    }
}
