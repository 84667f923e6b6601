// Reductions over the time axis of padded, time-major sequences x [T, B, F] with per-sequence lengths: the
// pooling of a many-to-one model. Steps at or past a sequence's length are ignored; a sequence of length 0
// pools to zeros.
//   MeanOverTime:   y_b = (1/len_b) Σ_{t<len_b} x_tb                  dx_tb += dy_b / len_b
//   MaxOverTime:    y_bf = max_{t<len_b} x_tbf                        dx_{t*,b,f} += dy_bf (t* the first argmax)
//   SoftmaxOverTime: α_tb = exp(s_tb) / Σ_{u<len_b} exp(s_ub)          ds_tb += α_tb (dα_tb − Σ_u α_ub dα_ub)
//   WeightedSumOverTime: y_b = Σ_t w_tb x_tb                          dw_tb += dy_b·x_tb, dx_tb += w_tb dy_b
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Masked reductions over time for sequence pooling.</summary>
public static class SequencePoolingOps
{
    private static (int T, int B, int F) Dims(Variable x, int[] lengths, string op)
    {
        if (x.Value.Rank != 3)
            throw new ArgumentException($"{op}: x must be [T, B, F]; got {x.Value.ShapeText}.", nameof(x));
        int t = x.Value.Dim(0), b = x.Value.Dim(1), f = x.Value.Dim(2);
        if (lengths.Length != b) throw new ArgumentException($"{op}: {lengths.Length} lengths for a batch of {b}.", nameof(lengths));
        foreach (int len in lengths)
            if (len < 0 || len > t) throw new ArgumentException($"{op}: length {len} is outside 0…{t}.", nameof(lengths));
        return (t, b, f);
    }

    /// <summary>Mean over the valid steps: [T, B, F] → [B, F].</summary>
    public static Variable MeanOverTime(this Tape tape, Variable x, int[] lengths)
    {
        var (t, b, f) = Dims(x, lengths, "MeanOverTime");
        Variable y = tape.Result([b, f], tape.NeedsGrad(x));
        ReadOnlySpan<float> xs = x.Value.Span;
        Span<float> ys = y.Value.Span;
        for (int j = 0; j < b; j++)
        {
            Span<float> row = ys.Slice(j * f, f);
            for (int s = 0; s < lengths[j]; s++) System.Numerics.Tensors.TensorPrimitives.Add(row, xs.Slice((s * b + j) * f, f), row);
            if (lengths[j] > 0) System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / lengths[j], row);
        }
        if (y.RequiresGrad) tape.Record(new MeanNode(x, y, lengths, t, b, f));
        return y;
    }

    /// <summary>Maximum over the valid steps: [T, B, F] → [B, F].</summary>
    public static Variable MaxOverTime(this Tape tape, Variable x, int[] lengths)
    {
        var (t, b, f) = Dims(x, lengths, "MaxOverTime");
        Variable y = tape.Result([b, f], tape.NeedsGrad(x));
        var argmax = new int[b * f];
        ReadOnlySpan<float> xs = x.Value.Span;
        Span<float> ys = y.Value.Span;
        for (int j = 0; j < b; j++)
            for (int k = 0; k < f; k++)
            {
                if (lengths[j] == 0) { argmax[j * f + k] = -1; continue; }
                int best = 0;
                float max = xs[j * f + k];
                for (int s = 1; s < lengths[j]; s++)
                {
                    float v = xs[(s * b + j) * f + k];
                    if (v > max) { max = v; best = s; }
                }
                ys[j * f + k] = max;
                argmax[j * f + k] = best;
            }
        if (y.RequiresGrad) tape.Record(new MaxNode(x, y, argmax, b, f));
        return y;
    }

    /// <summary>Softmax over the valid steps of scores [T, B]; invalid steps get weight 0.</summary>
    public static Variable SoftmaxOverTime(this Tape tape, Variable scores, int[] lengths)
    {
        if (scores.Value.Rank != 2) throw new ArgumentException($"SoftmaxOverTime: scores must be [T, B]; got {scores.Value.ShapeText}.", nameof(scores));
        int t = scores.Value.Dim(0), b = scores.Value.Dim(1);
        if (lengths.Length != b) throw new ArgumentException($"SoftmaxOverTime: {lengths.Length} lengths for a batch of {b}.", nameof(lengths));
        foreach (int len in lengths)
            if (len < 0 || len > t) throw new ArgumentException($"SoftmaxOverTime: length {len} is outside 0…{t}.", nameof(lengths));
        Variable y = tape.Result([t, b], tape.NeedsGrad(scores));
        ReadOnlySpan<float> s = scores.Value.Span;
        Span<float> a = y.Value.Span;
        for (int j = 0; j < b; j++)
        {
            int len = lengths[j];
            if (len == 0) continue;
            float max = float.NegativeInfinity;
            for (int u = 0; u < len; u++) max = MathF.Max(max, s[u * b + j]);
            double sum = 0;
            for (int u = 0; u < len; u++) sum += Math.Exp(s[u * b + j] - max);
            for (int u = 0; u < len; u++) a[u * b + j] = (float)(Math.Exp(s[u * b + j] - max) / sum);
        }
        if (y.RequiresGrad) tape.Record(new SoftmaxNode(scores, y, lengths, b));
        return y;
    }

    /// <summary>Σ_t w_tb·x_tb: weights [T, B], x [T, B, F] → [B, F].</summary>
    public static Variable WeightedSumOverTime(this Tape tape, Variable weights, Variable x)
    {
        if (x.Value.Rank != 3 || weights.Value.Rank != 2 || weights.Value.Dim(0) != x.Value.Dim(0) || weights.Value.Dim(1) != x.Value.Dim(1))
            throw new ArgumentException($"WeightedSumOverTime: weights [T, B] and x [T, B, F] must agree; got {weights.Value.ShapeText} and {x.Value.ShapeText}.");
        int t = x.Value.Dim(0), b = x.Value.Dim(1), f = x.Value.Dim(2);
        Variable y = tape.Result([b, f], tape.NeedsGrad(weights, x));
        ReadOnlySpan<float> w = weights.Value.Span, xs = x.Value.Span;
        Span<float> ys = y.Value.Span;
        for (int s = 0; s < t; s++)
            for (int j = 0; j < b; j++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(xs.Slice((s * b + j) * f, f), w[s * b + j], ys.Slice(j * f, f), ys.Slice(j * f, f));
        if (y.RequiresGrad) tape.Record(new WeightedSumNode(weights, x, y, t, b, f));
        return y;
    }

    private sealed class MeanNode(Variable x, Variable y, int[] lengths, int t, int b, int f) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null || !x.RequiresGrad) return;
            ReadOnlySpan<float> dy = y.Grad.Span;
            Span<float> dx = x.EnsureGrad().Span;
            // y_b = Σ_t x_tb / len_b  →  dx_tb += dy_b / len_b
            for (int j = 0; j < b; j++)
                for (int s = 0; s < lengths[j]; s++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dy.Slice(j * f, f), 1f / lengths[j], dx.Slice((s * b + j) * f, f), dx.Slice((s * b + j) * f, f));
            _ = t;
        }
    }

    private sealed class MaxNode(Variable x, Variable y, int[] argmax, int b, int f) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null || !x.RequiresGrad) return;
            ReadOnlySpan<float> dy = y.Grad.Span;
            Span<float> dx = x.EnsureGrad().Span;
            // y = x at the argmax  →  the gradient goes there only
            for (int j = 0; j < b; j++)
                for (int k = 0; k < f; k++)
                    if (argmax[j * f + k] >= 0) dx[(argmax[j * f + k] * b + j) * f + k] += dy[j * f + k];
        }
    }

    private sealed class SoftmaxNode(Variable scores, Variable y, int[] lengths, int b) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null || !scores.RequiresGrad) return;
            ReadOnlySpan<float> a = y.Value.Span, da = y.Grad.Span;
            Span<float> ds = scores.EnsureGrad().Span;
            // α = softmax(s) over valid steps  →  ds = α ⊙ (dα − Σ α dα)
            for (int j = 0; j < b; j++)
            {
                double dot = 0;
                for (int u = 0; u < lengths[j]; u++) dot += a[u * b + j] * da[u * b + j];
                for (int u = 0; u < lengths[j]; u++) ds[u * b + j] += (float)(a[u * b + j] * (da[u * b + j] - dot));
            }
        }
    }

    private sealed class WeightedSumNode(Variable weights, Variable x, Variable y, int t, int b, int f) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null) return;
            ReadOnlySpan<float> dy = y.Grad.Span, w = weights.Value.Span, xs = x.Value.Span;
            // y_b = Σ_t w_tb x_tb  →  dx_tb += w_tb dy_b, dw_tb += dy_b · x_tb
            if (x.RequiresGrad)
            {
                Span<float> dx = x.EnsureGrad().Span;
                for (int s = 0; s < t; s++)
                    for (int j = 0; j < b; j++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dy.Slice(j * f, f), w[s * b + j], dx.Slice((s * b + j) * f, f), dx.Slice((s * b + j) * f, f));
            }
            if (weights.RequiresGrad)
            {
                Span<float> dw = weights.EnsureGrad().Span;
                for (int s = 0; s < t; s++)
                    for (int j = 0; j < b; j++)
                        dw[s * b + j] += System.Numerics.Tensors.TensorPrimitives.Dot(dy.Slice(j * f, f), xs.Slice((s * b + j) * f, f));
            }
        }
    }
}
