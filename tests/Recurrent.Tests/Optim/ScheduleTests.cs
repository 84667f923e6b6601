using Recurrent.Optim;

namespace Recurrent.Tests.Optim;

public sealed class ScheduleTests
{
    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(2, 0.1)]
    [InlineData(3, 0.05)]
    [InlineData(5, 0.05)]
    [InlineData(6, 0.025)]
    [InlineData(10, 0.0125)]
    public void StepDecay_HalvesEveryThreeSteps(int step, double expected)
    {
        Assert.Equal(expected, new StepDecay(0.1f, 3, 0.5f).LearningRateAt(step), 7);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.09)]
    [InlineData(2, 0.081)]
    [InlineData(10, 0.03486784401)]
    public void ExponentialDecay_MultipliesByGammaEachStep(int step, double expected)
    {
        Assert.Equal(expected, new ExponentialDecay(0.1f, 0.9f).LearningRateAt(step), 6);
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(5, 0.5)]
    [InlineData(10, 1.0)]
    [InlineData(35, 0.868198052)] // 0.1 + 0.9 · ½ · (1 + cos(π/4))
    [InlineData(60, 0.55)]
    [InlineData(85, 0.231801948)] // 0.1 + 0.9 · ½ · (1 + cos(3π/4))
    [InlineData(110, 0.1)]
    [InlineData(500, 0.1)]
    public void CosineWithWarmup_WarmsUpLinearlyThenFollowsTheCosineToMinLr(int step, double expected)
    {
        Assert.Equal(expected, new CosineWithWarmup(1f, 10, 110, 0.1f).LearningRateAt(step), 6);
    }

    [Fact]
    public void CosineWithWarmup_NoWarmup_StartsAtBaseLr()
    {
        var schedule = new CosineWithWarmup(0.5f, 0, 100);
        Assert.Equal(0.5f, schedule.LearningRateAt(0));
        Assert.Equal(0.25, schedule.LearningRateAt(50), 6);
        Assert.Equal(0f, schedule.LearningRateAt(100));
    }

    [Fact]
    public void Schedules_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0.1f, 0, 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWithWarmup(1f, 10, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWithWarmup(1f, 0, 5, minLr: 2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialDecay(0.1f, 0.9f).LearningRateAt(-1));
    }
}
