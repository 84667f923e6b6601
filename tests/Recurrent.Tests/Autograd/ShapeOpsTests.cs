using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class ShapeOpsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Concat_Backward_MatchesFiniteDifferences_OnEveryAxis(int axis)
    {
        int[] ShapeWith(int size)
        {
            int[] s = [2, 3, 4];
            s[axis < 0 ? axis + 3 : axis] = size;
            return s;
        }
        Variable a = GradCheck.Leaf(1, 1f, ShapeWith(1)), b = GradCheck.Leaf(2, 1f, ShapeWith(2)), c = GradCheck.Leaf(3, 1f, ShapeWith(3));
        GradCheck.Assert(t => t.Concat([a, b, c], axis), a, b, c);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Split_Backward_MatchesFiniteDifferences_OnEveryAxis(int axis)
    {
        // Parts rejoined out of order with the middle one dropped: each gradient must land in its own
        // slice, and the dropped slice must get none.
        Variable x = GradCheck.Leaf(4, 1f, 5, 6, 7);
        int[] sizes = axis switch { 0 => [2, 1, 2], 1 => [1, 3, 2], _ => [3, 2, 2] };
        GradCheck.Assert(t =>
        {
            Variable[] parts = t.Split(x, axis, sizes);
            return t.Concat([parts[2], parts[0]], axis);
        }, x);
    }

    [Fact]
    public void Split_ThenConcat_RestoresTheInput()
    {
        Variable x = GradCheck.Leaf(5, 1f, 3, 4, 5);
        using var tape = new Tape();
        Variable y = tape.Concat(tape.Split(x, 1, [1, 0, 3]), 1);
        Assert.Equal(x.Value.Span.ToArray(), y.Value.Span.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReshapeAndView_Backward_MatchFiniteDifferences(bool view)
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3, 4);
        Variable w = GradCheck.Leaf(7, 1f, 6, 4);
        GradCheck.Assert(t => t.Mul(view ? t.View(x, -1, 4) : t.Reshape(x, -1, 4), w), x, w);
    }

    [Fact]
    public void Reshape_InfersTheMinusOneDimension()
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3, 4);
        using var tape = new Tape();
        Assert.Equal([4, 6], tape.Reshape(x, 4, -1).Shape.ToArray());
    }

    [Fact]
    public void Reshape_WithWrongElementCount_Throws()
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.Reshape(x, 4, 2));
        Assert.Contains("6 elements", e.Message);
    }

    [Fact]
    public void View_OfAnIntermediateUsedTwice_AddsBothPathsIntoOneGradient()
    {
        // y = tanh(x) is read through a view and directly: dL/dy collects both in y's own storage.
        Variable x = GradCheck.Leaf(3, 1f, 2, 6);
        Variable w = GradCheck.Leaf(4, 1f, 3, 4);
        GradCheck.Assert(t =>
        {
            Variable y = t.Tanh(x);
            Variable viaView = t.Mul(t.View(y, 3, 4), w);
            return t.Add(t.View(viaView, 2, 6), t.Mul(y, y));
        }, x, w);
    }

    [Fact]
    public void View_SharesStorageWithItsSource()
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3, 4);
        using var tape = new Tape();
        Variable y = tape.Tanh(x);
        Variable v = tape.View(y, 4, 6);
        Assert.Same(y.Value.Storage, v.Value.Storage);
        Assert.Equal([4, 6], v.Shape.ToArray());
    }

    [Fact]
    public void View_OfALeaf_LetsItsGradientAccumulateAcrossBackwardCalls()
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3);
        using var tape = new Tape();
        Variable loss = tape.Sum(tape.Mul(tape.View(x, 3, 2), tape.View(x, 3, 2)));
        tape.Backward(loss);
        float[] once = x.Grad!.Span.ToArray();
        tape.Backward(loss);
        for (int i = 0; i < once.Length; i++)
        {
            Assert.Equal(2f * x.Value[i], once[i], 5);
            Assert.Equal(2f * once[i], x.Grad!.Span[i], 5);
        }
    }

    [Fact]
    public void View_WithWrongElementCount_ThrowsNamingView()
    {
        Variable x = GradCheck.Leaf(6, 1f, 2, 3);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.View(x, 4, 2));
        Assert.StartsWith("View:", e.Message);
        Assert.Contains("6 elements", e.Message);
    }

    [Fact]
    public void Concat_WithMismatchedShapes_ThrowsNamingBoth()
    {
        Variable a = GradCheck.Leaf(1, 1f, 2, 3), b = GradCheck.Leaf(2, 1f, 3, 3);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.Concat([a, b], 1));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 3]", e.Message);
    }

    [Fact]
    public void Split_WithSizesNotSummingToTheAxis_Throws()
    {
        Variable x = GradCheck.Leaf(1, 1f, 2, 5);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.Split(x, -1, [2, 2]));
        Assert.Contains("sum to 4", e.Message);
    }
}
