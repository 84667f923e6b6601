using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class ReduceOpsTests
{
    [Fact]
    public void Sum_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(1, 1f, 3, 4);
        GradCheck.Assert(t => t.Sum(x), x);
    }

    [Fact]
    public void Mean_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(2, 1f, 3, 4);
        GradCheck.Assert(t => t.Mean(x), x);
    }

    [Fact]
    public void Sum_And_Mean_ReturnScalarsOfTheExpectedValue()
    {
        var x = new Variable(Recurrent.Tensors.Tensor.FromArray([1f, 2f, 3f, 6f], 2, 2), requiresGrad: true);
        using var tape = new Tape();
        Variable sum = tape.Sum(x), mean = tape.Mean(x);
        Assert.Equal([1], sum.Shape.ToArray());
        Assert.Equal(12f, sum.Value[0]);
        Assert.Equal(3f, mean.Value[0]);
    }
}
