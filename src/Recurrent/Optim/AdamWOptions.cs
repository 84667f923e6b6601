// Options of AdamW, with torch.optim.AdamW's defaults and checks.
namespace Recurrent.Optim;

/// <summary>Options of <see cref="AdamW"/>.</summary>
/// <remarks>Each field is range-checked when set, including in <c>with</c> copies.</remarks>
public sealed record AdamWOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="LearningRate">Step size lr (≥ 0). Default 1e-3.</param>
    /// <param name="Beta1">Decay β₁ of the first-moment average, in [0, 1). Default 0.9.</param>
    /// <param name="Beta2">Decay β₂ of the second-moment average, in [0, 1). Default 0.999.</param>
    /// <param name="Epsilon">ε added to the denominator (≥ 0). Default 1e-8.</param>
    /// <param name="WeightDecay">Decoupled weight decay λ (≥ 0): θ ← θ − lr·λ·θ before the Adam update. Default 1e-2.</param>
    /// <param name="Amsgrad">Use the running maximum of the second moment (AMSGrad). Default false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public AdamWOptions(float LearningRate = 1e-3f, float Beta1 = 0.9f, float Beta2 = 0.999f, float Epsilon = 1e-8f, float WeightDecay = 1e-2f, bool Amsgrad = false)
    {
        this.LearningRate = LearningRate;
        this.Beta1 = Beta1;
        this.Beta2 = Beta2;
        this.Epsilon = Epsilon;
        this.WeightDecay = WeightDecay;
        this.Amsgrad = Amsgrad;
    }

    /// <summary>Step size lr (≥ 0).</summary>
    public float LearningRate { get; init => field = OptionChecks.NonNegative(value, nameof(AdamWOptions), nameof(LearningRate)); }

    /// <summary>Decay β₁ of the first-moment average, in [0, 1).</summary>
    public float Beta1 { get; init => field = OptionChecks.UnitInterval(value, nameof(AdamWOptions), nameof(Beta1)); }

    /// <summary>Decay β₂ of the second-moment average, in [0, 1).</summary>
    public float Beta2 { get; init => field = OptionChecks.UnitInterval(value, nameof(AdamWOptions), nameof(Beta2)); }

    /// <summary>ε added to the denominator (≥ 0).</summary>
    public float Epsilon { get; init => field = OptionChecks.NonNegative(value, nameof(AdamWOptions), nameof(Epsilon)); }

    /// <summary>Decoupled weight decay λ (≥ 0): θ ← θ − lr·λ·θ before the Adam update.</summary>
    public float WeightDecay { get; init => field = OptionChecks.NonNegative(value, nameof(AdamWOptions), nameof(WeightDecay)); }

    /// <summary>Use the running maximum of the second moment (AMSGrad).</summary>
    public bool Amsgrad { get; init; }
}
