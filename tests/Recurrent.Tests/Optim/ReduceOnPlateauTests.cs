using Recurrent.Optim;

namespace Recurrent.Tests.Optim;

public sealed class ReduceOnPlateauTests
{
    [Fact]
    public void ReduceOnPlateau_Defaults_ReduceTenfoldAfterElevenCallsWithoutImprovement()
    {
        var plateau = new ReduceOnPlateau();
        float lr = plateau.Step(1f, 0.1f); // first value is the best so far
        for (int call = 1; call <= 10; call++)
        {
            lr = plateau.Step(1f, lr);
            Assert.Equal(0.1f, lr);
        }
        lr = plateau.Step(1f, lr); // the eleventh bad call exceeds patience 10
        Assert.Equal(0.01f, lr, 7);
    }

    [Fact]
    public void ReduceOnPlateau_ImprovementSmallerThanRelativeThreshold_DoesNotCount()
    {
        var plateau = new ReduceOnPlateau(patience: 1);
        float lr = plateau.Step(1f, 1f);
        lr = plateau.Step(0.99995f, lr); // needs < 1 · (1 − 1e-4)
        Assert.Equal(1f, lr);
        lr = plateau.Step(0.99995f, lr);
        Assert.Equal(0.1f, lr, 7);
        Assert.Equal(1.0, plateau.Best);
    }

    [Fact]
    public void ReduceOnPlateau_Cooldown_IgnoresBadCallsAfterAReduction()
    {
        var plateau = new ReduceOnPlateau(factor: 0.5f, patience: 0, cooldown: 2);
        float[] lrs = new float[6];
        float lr = 1f;
        for (int call = 0; call < lrs.Length; call++) lrs[call] = lr = plateau.Step(1f, lr);
        // Call 1 reduces; calls 2 and 3 are in cooldown; call 4 reduces again.
        Assert.Equal([1f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f], lrs);
    }

    [Fact]
    public void ReduceOnPlateau_NeverGoesBelowMinLr()
    {
        var plateau = new ReduceOnPlateau(patience: 0, minLr: 5e-4f);
        float lr = 1e-3f;
        for (int call = 0; call < 5; call++) lr = plateau.Step(1f, lr);
        Assert.Equal(5e-4f, lr);
    }

    [Fact]
    public void ReduceOnPlateau_MaxMode_TreatsLargerAsBetter()
    {
        var plateau = new ReduceOnPlateau(PlateauMode.Max, patience: 0);
        float lr = plateau.Step(0.5f, 1f);
        lr = plateau.Step(0.6f, lr);
        Assert.Equal(1f, lr);
        lr = plateau.Step(0.55f, lr);
        Assert.Equal(0.1f, lr, 7);
    }

    [Fact]
    public void ReduceOnPlateau_SaveLoad_ContinuesIdentically()
    {
        float[] metrics = [3f, 2f, 2.5f, 2.4f, 2.2f, 2.1f, 2.3f, 2.05f, 2.2f, 2.2f, 2.2f, 2.2f];
        var original = new ReduceOnPlateau(patience: 2, cooldown: 1);
        float lr = 1f;
        for (int i = 0; i < 5; i++) lr = original.Step(metrics[i], lr);
        var state = original.Save();

        var resumed = new ReduceOnPlateau(patience: 2, cooldown: 1);
        resumed.Load(state);
        float lrResumed = lr;
        for (int i = 5; i < metrics.Length; i++)
        {
            lr = original.Step(metrics[i], lr);
            lrResumed = resumed.Step(metrics[i], lrResumed);
            Assert.Equal(lr, lrResumed);
        }
        Assert.Equal(original.Save(), resumed.Save());
        Assert.True(lr < 1f, "the metrics plateau, so the rate must have been reduced");
    }

    [Fact]
    public void ReduceOnPlateau_LoadCorruptState_Throws()
    {
        Assert.Throws<RecurrentDataException>(() => new ReduceOnPlateau().Load(new ReduceOnPlateauState(1, -1, 0, 0)));
    }
}
