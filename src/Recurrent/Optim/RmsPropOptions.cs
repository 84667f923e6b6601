// Options of RMSprop, with torch.optim.RMSprop's defaults and checks.
namespace Recurrent.Optim;

/// <summary>Options of <see cref="RmsProp"/>.</summary>
/// <remarks>Each field is range-checked when set, including in <c>with</c> copies.</remarks>
public sealed record RmsPropOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="LearningRate">Step size lr (≥ 0). Default 1e-2.</param>
    /// <param name="Alpha">Smoothing constant α of the squared-gradient average (≥ 0). Default 0.99.</param>
    /// <param name="Epsilon">ε added to the denominator (≥ 0). Default 1e-8.</param>
    /// <param name="WeightDecay">L2 penalty λ (≥ 0), added to the gradient. Default 0.</param>
    /// <param name="Momentum">Momentum factor μ (≥ 0). Default 0.</param>
    /// <param name="Centered">Normalize by the estimated variance instead of the raw second moment. Default false.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public RmsPropOptions(float LearningRate = 1e-2f, float Alpha = 0.99f, float Epsilon = 1e-8f, float WeightDecay = 0, float Momentum = 0, bool Centered = false)
    {
        this.LearningRate = LearningRate;
        this.Alpha = Alpha;
        this.Epsilon = Epsilon;
        this.WeightDecay = WeightDecay;
        this.Momentum = Momentum;
        this.Centered = Centered;
    }

    /// <summary>Step size lr (≥ 0).</summary>
    public float LearningRate { get; init => field = OptionChecks.NonNegative(value, nameof(RmsPropOptions), nameof(LearningRate)); }

    /// <summary>Smoothing constant α of the squared-gradient average (≥ 0).</summary>
    public float Alpha { get; init => field = OptionChecks.NonNegative(value, nameof(RmsPropOptions), nameof(Alpha)); }

    /// <summary>ε added to the denominator (≥ 0).</summary>
    public float Epsilon { get; init => field = OptionChecks.NonNegative(value, nameof(RmsPropOptions), nameof(Epsilon)); }

    /// <summary>L2 penalty λ (≥ 0), added to the gradient.</summary>
    public float WeightDecay { get; init => field = OptionChecks.NonNegative(value, nameof(RmsPropOptions), nameof(WeightDecay)); }

    /// <summary>Momentum factor μ (≥ 0).</summary>
    public float Momentum { get; init => field = OptionChecks.NonNegative(value, nameof(RmsPropOptions), nameof(Momentum)); }

    /// <summary>Normalize by the estimated variance (v − ḡ²) instead of the raw second moment.</summary>
    public bool Centered { get; init; }
}
