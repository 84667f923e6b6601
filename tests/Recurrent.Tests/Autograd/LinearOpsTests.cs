using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

public sealed class LinearOpsTests
{
    [Fact]
    public void Linear_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(1, 1f, 2, 3, 5), w = GradCheck.Leaf(2, 1f, 4, 5), b = GradCheck.Leaf(3, 1f, 4);
        GradCheck.Assert(t => t.Linear(x, w, b), x, w, b);
    }

    [Fact]
    public void MatMul_Backward_MatchesFiniteDifferences_BothLayouts()
    {
        Variable a = GradCheck.Leaf(4, 1f, 3, 7), b = GradCheck.Leaf(5, 1f, 7, 2), bt = GradCheck.Leaf(6, 1f, 2, 7);
        GradCheck.Assert(t => t.MatMul(a, b), a, b);
        GradCheck.Assert(t => t.MatMul(a, bt, transposeB: true), a, bt);
    }

    [Fact]
    public void GradCheck_DeliberatelyWrongGradient_Fails()
    {
        Variable x = GradCheck.Leaf(1, 1f, 3, 5), w = GradCheck.Leaf(2, 1f, 4, 5);
        var result = GradCheck.Run(t => t.Linear(x, w, null), [x, w],
            corruptAnalytic: inputs => inputs[1].Grad!.Span[3] *= 1.05f);
        Assert.False(result.Passed, "a 5% error in one weight gradient must be caught");
        Assert.Contains("input 1", result.Report);
    }

    [Fact]
    public void Backward_Twice_DoublesLeafGradients()
    {
        Variable x = GradCheck.Leaf(1, 1f, 3, 5), w = GradCheck.Leaf(2, 1f, 4, 5);
        using var tape = new Tape();
        Variable y = tape.Linear(x, w, null);
        var g = Tensor.Zeros(3, 4);
        g.Span.Fill(1f);
        tape.Backward(y, g);
        float[] once = w.Grad!.Span.ToArray();
        tape.Backward(y, g);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], w.Grad!.Span[i], 5);
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        Variable x = GradCheck.Leaf(1, 1f, 3, 5), w = GradCheck.Leaf(2, 1f, 4, 5);
        using var tape = new Tape();
        using (tape.NoGrad())
        {
            Variable y = tape.Linear(x, w, null);
            Assert.False(y.RequiresGrad);
        }
        Assert.Equal(0, tape.NodeCount);
    }
}
