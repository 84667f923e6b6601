// Reductions to a scalar, forward and backward together. x: any shape with n elements; y: [1].
//   Sum:  y = Σ_i x_i        dx_i += dy
//   Mean: y = Σ_i x_i / n    dx_i += dy / n      (n = 0 gives NaN, as torch.mean of an empty tensor)
// Backward accumulates (+=) into dx.
using System.Numerics.Tensors;

namespace Recurrent.Autograd;

/// <summary>Reductions.</summary>
public static class ReduceOps
{
    /// <summary>y = Σ x over every element. Result [1].</summary>
    public static Variable Sum(this Tape tape, Variable x) => Reduce(tape, x, mean: false);

    /// <summary>y = Σ x / n over every element. Result [1].</summary>
    public static Variable Mean(this Tape tape, Variable x) => Reduce(tape, x, mean: true);

    private static Variable Reduce(Tape tape, Variable x, bool mean)
    {
        ReadOnlySpan<float> xs = x.Value.Span;
        float scale = mean ? 1f / xs.Length : 1f;
        Variable y = tape.Result([1], tape.NeedsGrad(x), clear: false);
        y.Value.Span[0] = (xs.IsEmpty ? 0f : TensorPrimitives.Sum(xs)) * scale;
        if (y.RequiresGrad) tape.Record(new ReduceNode(x, y, scale));
        return y;
    }

    private sealed class ReduceNode(Variable x, Variable y, float scale) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            // y = scale·Σ_i x_i  →  dx_i += scale·dy
            Span<float> dX = x.EnsureGrad().Span;
            TensorPrimitives.Add(dX, scale * gradY.Span[0], dX);
        }
    }
}
