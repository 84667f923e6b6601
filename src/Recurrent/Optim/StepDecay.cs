// Step decay, as torch.optim.lr_scheduler.StepLR counted in steps.
namespace Recurrent.Optim;

/// <summary>Multiplies the learning rate by γ every <c>stepSize</c> steps.</summary>
/// <remarks><code>lr(t) = baseLr · γ^⌊t / stepSize⌋</code></remarks>
public sealed class StepDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">The learning rate at step 0 (≥ 0).</param>
    /// <param name="stepSize">Steps between decays (&gt; 0).</param>
    /// <param name="gamma">Factor applied at each decay (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public StepDecay(float baseLr, int stepSize, float gamma)
    {
        BaseLr = OptionChecks.NonNegative(baseLr, nameof(StepDecay), nameof(baseLr));
        StepSize = OptionChecks.Positive(stepSize, nameof(StepDecay), nameof(stepSize));
        Gamma = OptionChecks.NonNegative(gamma, nameof(StepDecay), nameof(gamma));
    }

    /// <summary>The learning rate at step 0.</summary>
    public float BaseLr { get; }

    /// <summary>Steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>Factor applied at each decay.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public float LearningRateAt(int step)
    {
        OptionChecks.NonNegative(step, nameof(StepDecay), nameof(step));
        return (float)(BaseLr * Math.Pow(Gamma, step / StepSize));
    }
}
