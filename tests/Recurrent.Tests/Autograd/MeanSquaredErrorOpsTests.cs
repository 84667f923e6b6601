using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class MeanSquaredErrorOpsTests
{
    [Fact]
    public void MeanSquaredError_Backward_MatchesFiniteDifferences()
    {
        Variable p = GradCheck.Leaf(1, 1f, 3, 4);
        float[] target = TestData.Uniform(12, 2);
        GradCheck.Assert(t => t.MeanSquaredError(p, target), p);
    }

    [Fact]
    public void MeanSquaredError_IsTheMeanOfSquaredDifferences_AndAWrongTargetSizeThrows()
    {
        var p = new Variable(Recurrent.Tensors.Tensor.FromArray([1f, 2f, 3f, 4f], 4), requiresGrad: true);
        using var tape = new Tape();
        Variable loss = tape.MeanSquaredError(p, [1f, 0f, 3f, 6f]);
        Assert.Equal((0 + 4 + 0 + 4) / 4f, loss.Value[0]);
        tape.Backward(loss);
        Assert.Equal([0f, 1f, 0f, -1f], p.Grad!.Span.ToArray()); // 2(p − y)/n
        var error = Assert.Throws<ArgumentException>(() => tape.MeanSquaredError(p, [1f, 2f]));
        Assert.Contains("4", error.Message);
    }
}
