// Log-softmax over the last axis, forward and backward together. x: [..., C], treated as rows of C.
//   y_j = x_j − max(x) − log Σ_k exp(x_k − max(x))          (stable for large |x|)
//   dx_j += dy_j − softmax_j·Σ_k dy_k,   softmax_j = exp(y_j)
// Backward accumulates (+=) into dx.
using System.Numerics.Tensors;

namespace Recurrent.Autograd;

/// <summary>Softmax-family ops.</summary>
public static class SoftmaxOps
{
    /// <summary>y = log_softmax(x) over the last axis, as torch.log_softmax(x, dim=-1). x: [..., C].</summary>
    /// <exception cref="ArgumentException">x is a scalar-shaped (rank 0) tensor.</exception>
    public static Variable LogSoftmax(this Tape tape, Variable x)
    {
        if (x.Value.Rank == 0)
            throw new ArgumentException("LogSoftmax: the input must have at least one axis [..., C]; got a rank-0 tensor.", nameof(x));
        int cols = x.Value.Dim(-1), rows = cols == 0 ? 0 : x.Value.Length / cols;
        Variable y = tape.Result(x.Value.Shape.ToArray(), tape.NeedsGrad(x), clear: false);
        Recurrent.Tensors.Softmax.LogRows(x.Value.Span, y.Value.Span, rows, cols);
        if (y.RequiresGrad) tape.Record(new LogSoftmaxNode(x, y, rows, cols));
        return y;
    }

    private sealed class LogSoftmaxNode(Variable x, Variable y, int rows, int cols) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            ReadOnlySpan<float> ys = y.Value.Span, dY = gradY.Span;
            Span<float> dX = x.EnsureGrad().Span;
            // y = x − logΣexp(x)  →  dx_j += dy_j − exp(y_j)·Σ_k dy_k
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> yr = ys.Slice(r * cols, cols), dyr = dY.Slice(r * cols, cols);
                Span<float> dxr = dX.Slice(r * cols, cols);
                float sum = TensorPrimitives.Sum(dyr);
                for (int j = 0; j < cols; j++) dxr[j] += dyr[j] - MathF.Exp(yr[j]) * sum;
            }
        }
    }
}
