// Linear warm-up followed by cosine annealing (SGDR without restarts, Loshchilov & Hutter 2017; the
// warm-up as in Goyal et al. 2017), the usual schedule for Adam-family training.
namespace Recurrent.Optim;

/// <summary>Linear warm-up from 0 to <c>baseLr</c>, then a half cosine down to <c>minLr</c>, then constant <c>minLr</c>.</summary>
/// <remarks>
/// With W warm-up steps and N total steps:
/// <code>
/// lr(t) = baseLr · t / W                                              for t &lt; W
/// lr(t) = minLr + (baseLr − minLr) · ½ · (1 + cos(π · (t − W) / (N − W)))   for W ≤ t &lt; N
/// lr(t) = minLr                                                       for t ≥ N
/// </code>
/// </remarks>
public sealed class CosineWithWarmup : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="baseLr">Peak learning rate, reached at the end of warm-up (≥ 0).</param>
    /// <param name="warmupSteps">Steps of linear warm-up W (≥ 0).</param>
    /// <param name="totalSteps">Step N at which the cosine reaches <paramref name="minLr"/> (≥ W).</param>
    /// <param name="minLr">Final learning rate, in [0, baseLr]. Default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public CosineWithWarmup(float baseLr, int warmupSteps, int totalSteps, float minLr = 0)
    {
        BaseLr = OptionChecks.NonNegative(baseLr, nameof(CosineWithWarmup), nameof(baseLr));
        WarmupSteps = OptionChecks.NonNegative(warmupSteps, nameof(CosineWithWarmup), nameof(warmupSteps));
        if (totalSteps < warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"CosineWithWarmup.totalSteps must be ≥ warmupSteps ({warmupSteps}); got {totalSteps}.");
        TotalSteps = totalSteps;
        MinLr = OptionChecks.NonNegative(minLr, nameof(CosineWithWarmup), nameof(minLr));
        if (minLr > baseLr)
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, $"CosineWithWarmup.minLr must be ≤ baseLr ({baseLr}); got {minLr}.");
    }

    /// <summary>Peak learning rate.</summary>
    public float BaseLr { get; }

    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; }

    /// <summary>Step at which the cosine reaches <see cref="MinLr"/>.</summary>
    public int TotalSteps { get; }

    /// <summary>Final learning rate.</summary>
    public float MinLr { get; }

    /// <inheritdoc/>
    public float LearningRateAt(int step)
    {
        OptionChecks.NonNegative(step, nameof(CosineWithWarmup), nameof(step));
        if (step < WarmupSteps) return (float)((double)BaseLr * step / WarmupSteps);
        if (step >= TotalSteps) return MinLr;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return (float)(MinLr + ((double)BaseLr - MinLr) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
