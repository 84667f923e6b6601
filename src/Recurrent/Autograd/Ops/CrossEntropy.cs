// Fused softmax–cross-entropy, forward and backward together, as torch.nn.functional.cross_entropy
// with per-token weights. Legend: N tokens, C classes, ε label smoothing, w_i token weight (1 by default,
// 0 for a token whose target is ignoreIndex).
//   log p_i = log_softmax(logits_i)                         (max subtracted: stable for large logits)
//   q_i     = (1 − ε)·onehot(t_i) + ε/C                     (target distribution)
//   ℓ_i     = −Σ_j q_ij·log p_ij
//   Mean: L = Σ_i w_i·ℓ_i / Σ_i w_i  (0 when Σ w = 0)      Sum: L = Σ_i w_i·ℓ_i      None: L_i = w_i·ℓ_i
//   d logits_i += (p_i − q_i)·w_i·g_i,  g_i = dL/Σw (Mean), dL (Sum) or dL_i (None)
// Backward accumulates (+=) into d logits.
using System.Numerics.Tensors;

namespace Recurrent.Autograd;

/// <summary>How per-token losses are combined, as PyTorch's <c>reduction</c>.</summary>
public enum CrossEntropyReduction
{
    /// <summary>Weighted mean over non-ignored tokens: Σ w·ℓ / Σ w (0 when every token is ignored). Result [1].</summary>
    Mean,
    /// <summary>Weighted sum: Σ w·ℓ. Result [1].</summary>
    Sum,
    /// <summary>Per-token losses w·ℓ (0 for ignored tokens). Result [N].</summary>
    None,
}

/// <summary>Losses.</summary>
public static class CrossEntropyOps
{
    /// <summary>Softmax cross-entropy between <paramref name="logits"/> and class <paramref name="targets"/>.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="logits">Unnormalized scores, [N, C].</param>
    /// <param name="targets">Class per token, [N], each in [0, C) or equal to <paramref name="ignoreIndex"/>.</param>
    /// <param name="ignoreIndex">Target value whose tokens add nothing to the loss or its denominator. Default −100.</param>
    /// <param name="weights">Per-token weights (or a 0/1 mask), [N]; null means all 1.</param>
    /// <param name="reduction">Mean (default), Sum, or None.</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target is (1 − ε)·onehot + ε/C. Default 0.</param>
    /// <returns>The loss, [1] (Mean, Sum) or [N] (None).</returns>
    /// <exception cref="ArgumentException">Shapes do not match, a target is out of range, or ε is not in [0, 1].</exception>
    /// <remarks>With weights, Mean divides by the sum of the weights of non-ignored tokens, as PyTorch does with class weights.</remarks>
    public static Variable CrossEntropy(this Tape tape, Variable logits, ReadOnlySpan<int> targets, int ignoreIndex = -100,
        float[]? weights = null, CrossEntropyReduction reduction = CrossEntropyReduction.Mean, float labelSmoothing = 0f)
    {
        int n = Validate(logits, targets, ignoreIndex, weights, labelSmoothing);
        int c = logits.Value.Dim(1);
        bool needsGrad = tape.NeedsGrad(logits);
        Variable logProbs = tape.Result([n, c], requiresGrad: false, clear: false);
        Recurrent.Tensors.Softmax.LogRows(logits.Value.Span, logProbs.Value.Span, n, c);

        var tokenWeights = new float[n];
        var tokenLosses = new double[n];
        double weightSum = 0, lossSum = 0;
        ReadOnlySpan<float> lp = logProbs.Value.Span;
        for (int i = 0; i < n; i++)
        {
            if (targets[i] == ignoreIndex) continue;
            tokenWeights[i] = weights?[i] ?? 1f;
            if (tokenWeights[i] == 0f) continue;
            ReadOnlySpan<float> row = lp.Slice(i * c, c);
            double loss = -(1.0 - labelSmoothing) * row[targets[i]];
            if (labelSmoothing != 0f) loss -= labelSmoothing * (double)TensorPrimitives.Sum(row) / c;
            tokenLosses[i] = tokenWeights[i] * loss;
            weightSum += tokenWeights[i];
            lossSum += tokenLosses[i];
        }

        Variable y = tape.Result(reduction == CrossEntropyReduction.None ? [n] : [1], needsGrad, clear: false);
        Span<float> ys = y.Value.Span;
        if (reduction == CrossEntropyReduction.None) for (int i = 0; i < n; i++) ys[i] = (float)tokenLosses[i];
        else ys[0] = (float)(reduction == CrossEntropyReduction.Sum ? lossSum : weightSum == 0 ? 0 : lossSum / weightSum);

        if (y.RequiresGrad)
        {
            float denominator = reduction == CrossEntropyReduction.Mean ? (float)weightSum : 1f;
            tape.Record(new CrossEntropyNode(logits, logProbs, targets.ToArray(), tokenWeights, y, reduction, denominator, labelSmoothing));
        }
        return y;
    }

    private static int Validate(Variable logits, ReadOnlySpan<int> targets, int ignoreIndex, float[]? weights, float labelSmoothing)
    {
        if (logits.Value.Rank != 2)
            throw new ArgumentException($"CrossEntropy: the logits must be 2-D [N, C]; got {logits.Value.ShapeText}. Reshape [T, B, C] to [T·B, C] first.", nameof(logits));
        int n = logits.Value.Dim(0), c = logits.Value.Dim(1);
        if (targets.Length != n)
            throw new ArgumentException($"CrossEntropy: logits {logits.Value.ShapeText} need {n} targets; got {targets.Length}.", nameof(targets));
        if (weights is not null && weights.Length != n)
            throw new ArgumentException($"CrossEntropy: logits {logits.Value.ShapeText} need {n} token weights; got {weights.Length}.", nameof(weights));
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
            throw new ArgumentException($"CrossEntropy: label smoothing must be in [0, 1]; got {labelSmoothing}.", nameof(labelSmoothing));
        for (int i = 0; i < n; i++)
        {
            if (targets[i] != ignoreIndex && (uint)targets[i] >= (uint)c)
                throw new ArgumentException($"CrossEntropy: target {targets[i]} at position {i} is out of range for C = {c} classes; targets must be in [0, {c - 1}] or equal the ignore index {ignoreIndex}.", nameof(targets));
        }
        return n;
    }

    private sealed class CrossEntropyNode(Variable logits, Variable logProbs, int[] targets, float[] tokenWeights,
        Variable y, CrossEntropyReduction reduction, float denominator, float labelSmoothing) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !logits.RequiresGrad) return;
            Span<float> dLogits = logits.EnsureGrad().Span;
            if (denominator == 0f) return; // every token ignored: L = 0 and every gradient is 0
            int c = logits.Value.Dim(1);
            ReadOnlySpan<float> lp = logProbs.Value.Span, dY = gradY.Span;
            float smooth = labelSmoothing / c;
            float[] p = System.Buffers.ArrayPool<float>.Shared.Rent(c);
            try
            {
                Span<float> probabilities = p.AsSpan(0, c);
                for (int i = 0; i < targets.Length; i++)
                {
                    if (tokenWeights[i] == 0f) continue;
                    float g = reduction == CrossEntropyReduction.None ? dY[i] : dY[0] / denominator;
                    float scale = tokenWeights[i] * g;
                    Span<float> dRow = dLogits.Slice(i * c, c);
                    // ℓ_i = −Σ_j q_ij·log_softmax(logits_i)_j  →  d logits_ij += (p_ij − q_ij)·w_i·g_i
                    TensorPrimitives.Exp(lp.Slice(i * c, c), probabilities);
                    if (smooth != 0f) TensorPrimitives.Subtract(probabilities, smooth, probabilities);
                    TensorPrimitives.MultiplyAdd(probabilities, scale, dRow, dRow);
                    dRow[targets[i]] -= (1f - labelSmoothing) * scale;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(p);
            }
        }
    }
}
