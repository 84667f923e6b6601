// Mean squared error, forward and backward together, as torch.nn.functional.mse_loss (reduction "mean").
// Legend: n elements of the prediction p and the target y (any shape, the same for both).
//   L = Σ_i (p_i − y_i)² / n           (summed in double; n = 0 gives NaN, as torch's mean of nothing)
//   dp_i += 2·(p_i − y_i)/n · dL
// The target is data: it never receives a gradient. Backward accumulates (+=) into dp.
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Regression losses.</summary>
public static class MeanSquaredErrorOps
{
    /// <summary>L = mean((prediction − target)²) over every element. Result [1].</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="prediction">Predictions, any shape.</param>
    /// <param name="target">Targets with the same number of elements as <paramref name="prediction"/> (data; no gradient).</param>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public static Variable MeanSquaredError(this Tape tape, Variable prediction, ReadOnlySpan<float> target)
    {
        ReadOnlySpan<float> p = prediction.Value.Span;
        if (target.Length != p.Length)
            throw new ArgumentException($"MeanSquaredError: the target must have as many elements as the prediction{prediction.Value.ShapeText} ({p.Length}); got {target.Length}.", nameof(target));
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = (double)p[i] - target[i];
            sum += d * d;
        }
        Variable loss = tape.Result([1], tape.NeedsGrad(prediction), clear: false);
        loss.Value.Span[0] = (float)(sum / p.Length);
        if (loss.RequiresGrad) tape.Record(new MeanSquaredErrorNode(prediction, target.ToArray(), loss));
        return loss;
    }

    private sealed class MeanSquaredErrorNode(Variable prediction, float[] target, Variable loss) : TapeNode
    {
        public override void Backward()
        {
            if (loss.Grad is not { } gradL || !prediction.RequiresGrad) return;
            ReadOnlySpan<float> p = prediction.Value.Span;
            // L = Σ (p − y)² / n  →  dp += (2·dL/n)·(p − y)
            float scale = 2f * gradL.Span[0] / p.Length;
            using var diff = Tensor.Rent([p.Length], clear: false);
            TensorPrimitives.Subtract(p, target, diff.Span);
            TensorPrimitives.MultiplyAdd(diff.Span, scale, prediction.EnsureGrad().Span, prediction.Grad!.Span);
        }
    }
}
