// Adam (Kingma & Ba, 2015) with L2 weight decay and optional AMSGrad, as torch.optim.Adam.
using System.Numerics.Tensors;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Optim;

/// <summary>Adam (torch.optim.Adam).</summary>
/// <remarks>
/// For each parameter θ with gradient g; t is the parameter's own step count (state key <c>step</c>), m, v and
/// v̂ₘₐₓ are its buffers <c>exp_avg</c>, <c>exp_avg_sq</c> and <c>max_exp_avg_sq</c> (AMSGrad only):
/// <code>
/// t ← t + 1
/// g ← g + λ·θ                                  if λ ≠ 0 (L2 penalty)
/// m ← β₁·m + (1 − β₁)·g                        (computed as m + (1 − β₁)·(g − m))
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ₘₐₓ ← max(v̂ₘₐₓ, v);  s ← v̂ₘₐₓ                if AMSGrad, else s ← v
/// θ ← θ − lr/(1 − β₁ᵗ) · m / (√s / √(1 − β₂ᵗ) + ε)
/// </code>
/// The gradient tensor itself is not modified. For decoupled weight decay use <see cref="AdamW"/>.
/// </remarks>
public sealed class Adam : Optimizer
{
    private readonly AdamOptions _options;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="options">The options; <see cref="AdamOptions.LearningRate"/> sets the initial <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    public Adam(IReadOnlyList<NamedParameter> parameters, AdamOptions options)
        : base(nameof(Adam), parameters, NotNull(options).LearningRate,
            options.Amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"], countsParameterSteps: true)
    {
        _options = options;
    }

    /// <summary>The options given at construction.</summary>
    public AdamOptions Options => _options;

    /// <inheritdoc/>
    public override void Step()
    {
        var o = _options;
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i].Parameter;
            if (parameter.Grad is not Tensor gradTensor) continue;
            Tensor[] buffers = BuffersOf(i, out _);
            int step = NextParameterStep(i);
            Span<float> theta = parameter.Value.Span;
            ReadOnlySpan<float> g = GradientWithDecay(parameter, o.WeightDecay, gradTensor.Span);
            AdamUpdate.Apply(g, buffers[0].Span, buffers[1].Span, o.Amsgrad ? buffers[2].Span : [],
                theta, o.Amsgrad ? ScratchB(theta.Length) : [], step, LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.Amsgrad);
        }
        StepCount++;
    }

    private static AdamOptions NotNull(AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
