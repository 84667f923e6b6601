using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

public sealed class ElementwiseOpsTests
{
    [Fact]
    public void Tanh_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(1, 2f, 3, 7);
        GradCheck.Assert(t => t.Tanh(x), x);
    }

    [Fact]
    public void Sigmoid_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(2, 3f, 3, 7);
        GradCheck.Assert(t => t.Sigmoid(x), x);
    }

    [Fact]
    public void Relu_Backward_MatchesFiniteDifferences()
    {
        // Values kept at least 0.1 from the kink at 0, farther than the finite-difference step.
        Variable x = GradCheck.Leaf(3, 1f, 3, 7);
        Span<float> xs = x.Value.Span;
        for (int i = 0; i < xs.Length; i++) xs[i] = MathF.CopySign(0.1f + MathF.Abs(xs[i]), xs[i]);
        GradCheck.Assert(t => t.Relu(x), x);
    }

    [Fact]
    public void Add_Backward_MatchesFiniteDifferences_ForBothInputs()
    {
        Variable a = GradCheck.Leaf(4, 1f, 2, 3, 4), b = GradCheck.Leaf(5, 1f, 2, 3, 4);
        GradCheck.Assert(t => t.Add(a, b), a, b);
    }

    [Fact]
    public void Mul_Backward_MatchesFiniteDifferences_ForBothInputs()
    {
        Variable a = GradCheck.Leaf(6, 1f, 2, 3, 4), b = GradCheck.Leaf(7, 1f, 2, 3, 4);
        GradCheck.Assert(t => t.Mul(a, b), a, b);
    }

    [Fact]
    public void Mul_OfAVariableWithItself_MatchesFiniteDifferences()
    {
        Variable a = GradCheck.Leaf(8, 1f, 3, 5);
        GradCheck.Assert(t => t.Mul(a, a), a);
    }

    [Fact]
    public void Scale_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(9, 1f, 4, 5);
        GradCheck.Assert(t => t.Scale(x, -2.5f), x);
    }

    [Fact]
    public void AddBias_Backward_MatchesFiniteDifferences_ForInputAndBias()
    {
        Variable x = GradCheck.Leaf(10, 1f, 2, 3, 5), bias = GradCheck.Leaf(11, 1f, 5);
        GradCheck.Assert(t => t.AddBias(x, bias), x, bias);
    }

    [Fact]
    public void Activations_OfEmptyTensors_ReturnEmptyResults()
    {
        var x = new Variable(Tensor.Zeros(0, 4), requiresGrad: true);
        using var tape = new Tape();
        Assert.Equal(0, tape.Sigmoid(x).Value.Length);
        Assert.Equal(0, tape.Tanh(x).Value.Length);
        Assert.Equal(0, tape.Relu(x).Value.Length);
    }

    [Fact]
    public void Add_WithDifferentShapes_ThrowsNamingBothShapes()
    {
        Variable a = GradCheck.Leaf(1, 1f, 2, 3), b = GradCheck.Leaf(2, 1f, 3, 2);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.Add(a, b));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
    }

    [Fact]
    public void AddBias_WithWrongBiasLength_ThrowsWithExpectedShape()
    {
        Variable x = GradCheck.Leaf(1, 1f, 2, 3), bias = GradCheck.Leaf(2, 1f, 4);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.AddBias(x, bias));
        Assert.Contains("[3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }
}
