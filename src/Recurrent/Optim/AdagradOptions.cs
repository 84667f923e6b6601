// Options of Adagrad, with torch.optim.Adagrad's defaults and checks.
namespace Recurrent.Optim;

/// <summary>Options of <see cref="Adagrad"/>.</summary>
/// <remarks>Each field is range-checked when set, including in <c>with</c> copies.</remarks>
public sealed record AdagradOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="LearningRate">Step size lr (≥ 0). Default 1e-2.</param>
    /// <param name="LrDecay">Learning-rate decay η (≥ 0): the step size is lr / (1 + (t − 1)·η). Default 0.</param>
    /// <param name="WeightDecay">L2 penalty λ (≥ 0), added to the gradient. Default 0.</param>
    /// <param name="InitialAccumulatorValue">Starting value of the squared-gradient sum (≥ 0). Default 0.</param>
    /// <param name="Epsilon">ε added to the denominator (≥ 0). Default 1e-10.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public AdagradOptions(float LearningRate = 1e-2f, float LrDecay = 0, float WeightDecay = 0, float InitialAccumulatorValue = 0, float Epsilon = 1e-10f)
    {
        this.LearningRate = LearningRate;
        this.LrDecay = LrDecay;
        this.WeightDecay = WeightDecay;
        this.InitialAccumulatorValue = InitialAccumulatorValue;
        this.Epsilon = Epsilon;
    }

    /// <summary>Step size lr (≥ 0).</summary>
    public float LearningRate { get; init => field = OptionChecks.NonNegative(value, nameof(AdagradOptions), nameof(LearningRate)); }

    /// <summary>Learning-rate decay η (≥ 0).</summary>
    public float LrDecay { get; init => field = OptionChecks.NonNegative(value, nameof(AdagradOptions), nameof(LrDecay)); }

    /// <summary>L2 penalty λ (≥ 0), added to the gradient.</summary>
    public float WeightDecay { get; init => field = OptionChecks.NonNegative(value, nameof(AdagradOptions), nameof(WeightDecay)); }

    /// <summary>Starting value of the squared-gradient sum (≥ 0).</summary>
    public float InitialAccumulatorValue { get; init => field = OptionChecks.NonNegative(value, nameof(AdagradOptions), nameof(InitialAccumulatorValue)); }

    /// <summary>ε added to the denominator (≥ 0).</summary>
    public float Epsilon { get; init => field = OptionChecks.NonNegative(value, nameof(AdagradOptions), nameof(Epsilon)); }
}
