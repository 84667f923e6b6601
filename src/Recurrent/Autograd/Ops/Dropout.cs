// Inverted dropout, forward and backward together, as torch.nn.functional.dropout.
//   training:  m_i = [u_i ≥ p] / (1 − p),  u_i ~ U[0, 1) from a stream keyed by one draw of the given Rng
//              (Rng.FillDropoutMask: a function of the key and i, computed 16 elements at a time)
//              y = x ⊙ m                    dx += dy ⊙ m   (the same mask)
//   evaluation (Tape.Training false) or p = 0:  y = x (the input itself is returned; nothing is recorded)
// Scaling kept elements by 1/(1 − p) keeps E[y] = x, so evaluation needs no rescaling.
using System.Numerics.Tensors;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Dropout.</summary>
public static class DropoutOps
{
    /// <summary>Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1 − p).</summary>
    /// <param name="tape">The tape; dropout is active only when <see cref="Tape.Training"/> is true.</param>
    /// <param name="x">Any shape.</param>
    /// <param name="p">Drop probability in [0, 1).</param>
    /// <param name="rng">Source of the mask; one draw keys it, so a seeded generator reproduces the mask.</param>
    /// <returns>A result of x's shape, or x itself in evaluation mode or when p = 0.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1).</exception>
    public static Variable Dropout(this Tape tape, Variable x, float p, Rng rng)
    {
        if (!(p >= 0f && p < 1f))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: the drop probability must be in [0, 1); pass e.g. 0.1.");
        ArgumentNullException.ThrowIfNull(rng);
        if (!tape.Training || p == 0f) return x;
        Variable mask = tape.Result(x.Value.Shape.ToArray(), requiresGrad: false, clear: false);
        Span<float> m = mask.Value.Span;
        float keepScale = 1f / (1f - p);
        rng.FillDropoutMask(m, p, keepScale);
        Variable y = tape.Result(x.Value.Shape.ToArray(), tape.NeedsGrad(x), clear: false);
        TensorPrimitives.Multiply(x.Value.Span, m, y.Value.Span);
        if (y.RequiresGrad) tape.Record(new DropoutNode(x, mask, y));
        return y;
    }

    private sealed class DropoutNode(Variable x, Variable mask, Variable y) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            // y = x ⊙ m  →  dx += dy ⊙ m
            Span<float> dX = x.EnsureGrad().Span;
            TensorPrimitives.MultiplyAdd(gradY.Span, mask.Value.Span, dX, dX);
        }
    }
}
