// Options of stochastic gradient descent, with torch.optim.SGD's defaults and checks.
namespace Recurrent.Optim;

/// <summary>Options of <see cref="Sgd"/>.</summary>
/// <remarks>
/// Each field is range-checked when set; the combination (Nesterov needs momentum &gt; 0 and dampening 0) is
/// checked by the constructor and again by <see cref="Sgd"/>, so a <c>with</c> copy is checked too.
/// </remarks>
public sealed record SgdOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="LearningRate">Step size lr (≥ 0). Default 1e-2.</param>
    /// <param name="Momentum">Momentum factor μ (≥ 0). Default 0 (plain SGD).</param>
    /// <param name="Dampening">Dampening τ of the momentum (finite). Default 0.</param>
    /// <param name="Nesterov">Use Nesterov momentum. Default false.</param>
    /// <param name="WeightDecay">L2 penalty λ (≥ 0). Default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is out of range.</exception>
    public SgdOptions(float LearningRate = 1e-2f, float Momentum = 0, float Dampening = 0, bool Nesterov = false, float WeightDecay = 0)
    {
        this.LearningRate = LearningRate;
        this.Momentum = Momentum;
        this.Dampening = Dampening;
        this.Nesterov = Nesterov;
        this.WeightDecay = WeightDecay;
        Validate();
    }

    /// <summary>Step size lr (≥ 0).</summary>
    public float LearningRate { get; init => field = OptionChecks.NonNegative(value, nameof(SgdOptions), nameof(LearningRate)); }

    /// <summary>Momentum factor μ (≥ 0).</summary>
    public float Momentum { get; init => field = OptionChecks.NonNegative(value, nameof(SgdOptions), nameof(Momentum)); }

    /// <summary>Dampening τ of the momentum.</summary>
    public float Dampening { get; init => field = OptionChecks.Finite(value, nameof(SgdOptions), nameof(Dampening)); }

    /// <summary>Use Nesterov momentum (needs <see cref="Momentum"/> &gt; 0 and <see cref="Dampening"/> 0).</summary>
    public bool Nesterov { get; init; }

    /// <summary>L2 penalty λ (≥ 0), added to the gradient.</summary>
    public float WeightDecay { get; init => field = OptionChecks.NonNegative(value, nameof(SgdOptions), nameof(WeightDecay)); }

    /// <summary>Checks the combination of fields.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Nesterov is on with momentum 0 or non-zero dampening.</exception>
    public void Validate()
    {
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
            throw new ArgumentOutOfRangeException(nameof(Nesterov), Nesterov,
                $"SgdOptions.Nesterov requires Momentum > 0 and Dampening = 0; got Momentum = {Momentum}, Dampening = {Dampening}. Set a momentum (e.g. 0.9) and zero dampening, or turn Nesterov off.");
    }
}
