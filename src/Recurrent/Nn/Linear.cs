// nn.Linear: y = x·Wᵀ + b with W [out, in], b [out]; PyTorch's default init U(−1/√in, 1/√in) for both.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>An affine layer, as PyTorch's <c>nn.Linear</c>.</summary>
public sealed class Linear : IModule
{
    /// <summary>Creates the layer with PyTorch's default initialisation drawn from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1.</exception>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight = new Parameter(Tensor.Zeros(outFeatures, inFeatures));
        rng.FillUniform(Weight.Value.Span, -bound, bound);
        if (bias)
        {
            Bias = new Parameter(Tensor.Zeros(outFeatures));
            rng.FillUniform(Bias.Value.Span, -bound, bound);
        }
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>[out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>[out], or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>y[..., out] = x[..., in]·Wᵀ + b.</summary>
    public Variable Forward(Tape tape, Variable x) => tape.Linear(x, Weight, Bias);

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        into.Add(new(prefix + "weight", Weight));
        if (Bias is not null) into.Add(new(prefix + "bias", Bias));
    }
}
