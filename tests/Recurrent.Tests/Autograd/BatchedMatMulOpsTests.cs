using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class BatchedMatMulOpsTests
{
    [Fact]
    public void BatchedMatMul_Backward_MatchesFiniteDifferences()
    {
        Variable a = GradCheck.Leaf(1, 1f, 3, 2, 4), b = GradCheck.Leaf(2, 1f, 3, 4, 5);
        GradCheck.Assert(t => t.BatchedMatMul(a, b), a, b);
    }

    [Fact]
    public void BatchedMatMul_Backward_MatchesFiniteDifferences_WithTransposedB()
    {
        Variable a = GradCheck.Leaf(3, 1f, 2, 3, 4), b = GradCheck.Leaf(4, 1f, 2, 5, 4);
        GradCheck.Assert(t => t.BatchedMatMul(a, b, transposeB: true), a, b);
    }

    [Fact]
    public void BatchedMatMul_EqualsMatMulPerBatchItem()
    {
        Variable a = GradCheck.Leaf(5, 1f, 2, 3, 4), b = GradCheck.Leaf(6, 1f, 2, 4, 5);
        using var tape = new Tape();
        Variable y = tape.BatchedMatMul(a, b);
        for (int i = 0; i < 2; i++)
        {
            var ai = new Variable(Recurrent.Tensors.Tensor.FromArray(a.Value.Span.Slice(i * 12, 12).ToArray(), 3, 4), false);
            var bi = new Variable(Recurrent.Tensors.Tensor.FromArray(b.Value.Span.Slice(i * 20, 20).ToArray(), 4, 5), false);
            float[] expected = tape.MatMul(ai, bi).Value.Span.ToArray();
            Assert.Equal(expected, y.Value.Span.Slice(i * 15, 15).ToArray());
        }
    }

    [Fact]
    public void BatchedMatMul_WithMismatchedInnerSize_ThrowsWithExpectedShape()
    {
        Variable a = GradCheck.Leaf(7, 1f, 2, 3, 4), b = GradCheck.Leaf(8, 1f, 2, 3, 5);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.BatchedMatMul(a, b));
        Assert.Contains("[2, 4, M]", e.Message);
        Assert.Contains("[2, 3, 5]", e.Message);
    }
}
