// AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay, as torch.optim.AdamW.
using System.Numerics.Tensors;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Optim;

/// <summary>AdamW (torch.optim.AdamW).</summary>
/// <remarks>
/// As <see cref="Adam"/>, but the weight decay shrinks the parameter instead of entering the gradient:
/// <code>
/// t ← t + 1
/// θ ← θ − lr·λ·θ                               (computed as θ·(1 − lr·λ))
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ₘₐₓ ← max(v̂ₘₐₓ, v);  s ← v̂ₘₐₓ                if AMSGrad, else s ← v
/// θ ← θ − lr/(1 − β₁ᵗ) · m / (√s / √(1 − β₂ᵗ) + ε)
/// </code>
/// State keys: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c> (AMSGrad only).
/// </remarks>
public sealed class AdamW : Optimizer
{
    private readonly AdamWOptions _options;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="options">The options; <see cref="AdamWOptions.LearningRate"/> sets the initial <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    public AdamW(IReadOnlyList<NamedParameter> parameters, AdamWOptions options)
        : base(nameof(AdamW), parameters, NotNull(options).LearningRate,
            options.Amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"], countsParameterSteps: true)
    {
        _options = options;
    }

    /// <summary>The options given at construction.</summary>
    public AdamWOptions Options => _options;

    /// <inheritdoc/>
    public override void Step()
    {
        var o = _options;
        float shrink = (float)(1 - (double)LearningRate * o.WeightDecay);
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i].Parameter;
            if (parameter.Grad is not Tensor gradTensor) continue;
            Tensor[] buffers = BuffersOf(i, out _);
            int step = NextParameterStep(i);
            Span<float> theta = parameter.Value.Span;
            AdamUpdate.Apply(gradTensor.Span, buffers[0].Span, buffers[1].Span, o.Amsgrad ? buffers[2].Span : [],
                theta, o.Amsgrad ? ScratchB(theta.Length) : [], step, LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.Amsgrad,
                WeightDecayOf(parameter, o.WeightDecay) != 0 ? shrink : 1f);
        }
        StepCount++;
    }

    private static AdamWOptions NotNull(AdamWOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
