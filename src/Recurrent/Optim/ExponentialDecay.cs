// Exponential decay per step, as torch.optim.lr_scheduler.ExponentialLR counted in steps.
namespace Recurrent.Optim;

/// <summary>Multiplies the learning rate by γ every step.</summary>
/// <remarks><code>lr(t) = baseLr · γᵗ</code></remarks>
public sealed class ExponentialDecay : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">The learning rate at step 0 (≥ 0).</param>
    /// <param name="gamma">Factor applied each step (≥ 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public ExponentialDecay(float baseLr, float gamma)
    {
        BaseLr = OptionChecks.NonNegative(baseLr, nameof(ExponentialDecay), nameof(baseLr));
        Gamma = OptionChecks.NonNegative(gamma, nameof(ExponentialDecay), nameof(gamma));
    }

    /// <summary>The learning rate at step 0.</summary>
    public float BaseLr { get; }

    /// <summary>Factor applied each step.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public float LearningRateAt(int step)
    {
        OptionChecks.NonNegative(step, nameof(ExponentialDecay), nameof(step));
        return (float)(BaseLr * Math.Pow(Gamma, step));
    }
}
