// nn.LayerNorm over the last axis: y = γ ⊙ (x − μ) / √(σ² + ε) + β, γ initialised to 1 and β to 0, as PyTorch.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Layer normalisation over the last axis, as PyTorch's <c>nn.LayerNorm(n)</c> (parameters <c>weight</c> = γ, <c>bias</c> = β).</summary>
public sealed class LayerNorm : IModule
{
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or ε ≤ 0.</exception>
    public LayerNorm(int features, float epsilon = LayerNormRows.DefaultEpsilon, bool affine = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "LayerNorm: ε must be > 0; pass e.g. 1e-5.");
        (Features, Epsilon) = (features, epsilon);
        if (!affine) return;
        Weight = new Parameter(Tensor.Zeros(features));
        Weight.Value.Span.Fill(1f);
        Bias = new Parameter(Tensor.Zeros(features));
    }

    public int Features { get; }
    public float Epsilon { get; }

    /// <summary>γ [n], or null without an affine part.</summary>
    public Parameter? Weight { get; }

    /// <summary>β [n], or null without an affine part.</summary>
    public Parameter? Bias { get; }

    /// <summary>y[..., n] from x[..., n].</summary>
    /// <exception cref="ArgumentException">x's last axis is not n.</exception>
    public Variable Forward(Tape tape, Variable x)
    {
        if (x.Value.Rank == 0 || x.Value.Dim(-1) != Features)
            throw new ArgumentException($"LayerNorm({Features}): the input's last axis must be {Features}; got {x.Value.ShapeText}.", nameof(x));
        return tape.LayerNorm(x, Weight, Bias, Epsilon);
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        if (Weight is not null) into.Add(new(prefix + "weight", Weight));
        if (Bias is not null) into.Add(new(prefix + "bias", Bias));
    }
}
