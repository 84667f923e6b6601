// Layer normalisation over the last axis, as torch.nn.functional.layer_norm(x, [n], γ, β, ε): the kernels are
// LayerNormRows (formulas there). x: [..., n], γ and β: [n] or null (1 and 0). Backward accumulates (+=).
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Normalisation ops.</summary>
public static class LayerNormOps
{
    /// <summary>y = γ ⊙ (x − μ) / √(σ² + ε) + β over the last axis of x [..., n], μ and σ² per row (biased variance).</summary>
    /// <exception cref="ArgumentException">x has no axis or an empty last axis, γ or β is not [n], or ε ≤ 0.</exception>
    public static Variable LayerNorm(this Tape tape, Variable x, Variable? gain, Variable? bias, float epsilon = LayerNormRows.DefaultEpsilon)
    {
        if (x.Value.Rank == 0 || x.Value.Dim(-1) == 0)
            throw new ArgumentException($"LayerNorm: the input must be [..., n] with n ≥ 1; got {x.Value.ShapeText}.", nameof(x));
        int n = x.Value.Dim(-1), rows = x.Value.Length / n;
        foreach ((Variable? p, string name) in new[] { (gain, "γ (gain)"), (bias, "β (bias)") })
            if (p is not null && (p.Value.Rank != 1 || p.Value.Dim(0) != n))
                throw new ArgumentException($"LayerNorm: {name} must be [{n}] to match the last axis of x {x.Value.ShapeText}; got {p.Value.ShapeText}.");
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "LayerNorm: ε must be > 0; pass e.g. 1e-5.");
        bool needsGrad = tape.NeedsGrad([x, gain, bias]);
        Variable y = tape.Result(x.Value.Shape.ToArray(), needsGrad, clear: false);
        Variable statistics = tape.Result([2, rows], requiresGrad: false, clear: false);
        Span<float> stats = statistics.Value.Span;
        LayerNormRows.Forward(x.Value.Span, gain is null ? default : gain.Value.Span, bias is null ? default : bias.Value.Span,
            y.Value.Span, stats[..rows], stats.Slice(rows, rows), rows, n, epsilon);
        if (needsGrad) tape.Record(new LayerNormNode(x, gain, bias, y, statistics, rows, n));
        return y;
    }

    private sealed class LayerNormNode(Variable x, Variable? gain, Variable? bias, Variable y, Variable statistics, int rows, int n) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY) return;
            ReadOnlySpan<float> stats = statistics.Value.Span;
            using var work = Tensor.Rent([2 * n], clear: false);
            LayerNormRows.Backward(gradY.Span, x.Value.Span, gain is null ? default : gain.Value.Span, stats[..rows], stats.Slice(rows, rows),
                x.RequiresGrad ? x.EnsureGrad().Span : default,
                gain is { RequiresGrad: true } ? gain.EnsureGrad().Span : default,
                bias is { RequiresGrad: true } ? bias.EnsureGrad().Span : default,
                work.Span, rows, n);
        }
    }
}
