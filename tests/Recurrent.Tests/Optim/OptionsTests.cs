using Recurrent.Autograd;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public sealed class OptionsTests
{
    [Fact]
    public void Options_OutOfRangeField_NamesFieldAndValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptions(Beta1: 1f));
        Assert.Equal("Beta1", e.ParamName);
        Assert.Equal(1f, e.ActualValue);
        Assert.Contains("AdamOptions.Beta1", e.Message);

        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions(LearningRate: -0.1f)).ParamName);
        Assert.Equal("Epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamWOptions(Epsilon: float.NaN)).ParamName);
        Assert.Equal("Alpha", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsPropOptions(Alpha: -1f)).ParamName);
        Assert.Equal("Momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsPropOptions(Momentum: -0.5f)).ParamName);
        Assert.Equal("LrDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new AdagradOptions(LrDecay: -1f)).ParamName);
        Assert.Equal("InitialAccumulatorValue", Assert.Throws<ArgumentOutOfRangeException>(() => new AdagradOptions(InitialAccumulatorValue: -1f)).ParamName);
    }

    [Fact]
    public void Options_WithCopy_IsCheckedToo()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptions() with { Beta2 = 1.5f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdagradOptions() with { Epsilon = -1f });
    }

    [Fact]
    public void SgdOptions_NesterovWithoutMomentumOrWithDampening_Throws()
    {
        Assert.Equal("Nesterov", Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions(Nesterov: true)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SgdOptions(Momentum: 0.9f, Dampening: 0.1f, Nesterov: true));
        var sneaky = new SgdOptions() with { Nesterov = true };
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([new("w", new Parameter(Tensor.Zeros(2)))], sneaky));
    }

    [Fact]
    public void Options_Defaults_MatchPyTorch()
    {
        Assert.Equal(new SgdOptions(0.01f, 0, 0, false, 0), new SgdOptions());
        Assert.Equal(new AdamOptions(1e-3f, 0.9f, 0.999f, 1e-8f, 0, false), new AdamOptions());
        Assert.Equal(new RmsPropOptions(0.01f, 0.99f, 1e-8f, 0, 0, false), new RmsPropOptions());
        Assert.Equal(new AdagradOptions(0.01f, 0, 0, 0, 1e-10f), new AdagradOptions());
    }

    [Fact]
    public void Optimizer_LearningRate_TakenFromOptionsAndRejectsNegative()
    {
        var sgd = new Sgd([new("w", new Parameter(Tensor.Zeros(2)))], new SgdOptions(LearningRate: 0.3f));
        Assert.Equal(0.3f, sgd.LearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -1f);
    }
}
