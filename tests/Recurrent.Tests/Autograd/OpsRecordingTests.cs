using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

public sealed class OpsRecordingTests
{
    [Fact]
    public void EveryOp_InNoGradMode_RecordsNothing_AndReturnsNoGradResults()
    {
        Variable x = GradCheck.Leaf(1, 1f, 2, 3), w = GradCheck.Leaf(2, 1f, 4, 3), bias = GradCheck.Leaf(3, 1f, 3);
        Variable batch = GradCheck.Leaf(4, 1f, 2, 3, 3);
        using var tape = new Tape();
        var results = new List<Variable>();
        using (tape.NoGrad())
        {
            results.AddRange([tape.Tanh(x), tape.Sigmoid(x), tape.Relu(x), tape.Add(x, x), tape.Mul(x, x), tape.Scale(x, 2f),
                tape.AddBias(x, bias), tape.Concat([x, x], 0), tape.Reshape(x, 3, 2), tape.View(x, 3, 2), tape.Embedding(w, [1, 2]),
                tape.Dropout(x, 0.5f, new Rng(1)), tape.LogSoftmax(x), tape.CrossEntropy(x, [0, 2]), tape.Sum(x),
                tape.Mean(x), tape.BatchedMatMul(batch, batch)]);
            results.AddRange(tape.Split(x, 1, [1, 2]));
        }
        Assert.Equal(0, tape.NodeCount);
        Assert.All(results, r => Assert.False(r.RequiresGrad));
    }

    [Fact]
    public void Backward_ReleasesIntermediateGradients_AndKeepsLeafGradients()
    {
        Variable x = GradCheck.Leaf(1, 1f, 2, 3), w = GradCheck.Leaf(2, 1f, 2, 3);
        using var tape = new Tape();
        Variable hidden = tape.Tanh(tape.Mul(x, w));
        Variable loss = tape.Sum(tape.Mul(hidden, hidden));
        tape.Backward(loss);
        Assert.Null(hidden.Grad);
        Assert.Null(loss.Grad);
        Assert.NotNull(x.Grad);
        float[] first = x.Grad!.Span.ToArray();
        // A second pass recomputes the released intermediates from zero, so the leaves get exactly twice as much.
        tape.Backward(loss);
        for (int i = 0; i < first.Length; i++) Assert.Equal(2f * first[i], x.Grad.Span[i]);
    }

    [Fact]
    public void Concat_WithAConstantPart_GivesGradientsOnlyToPartsThatNeedThem()
    {
        Variable a = GradCheck.Leaf(1, 1f, 2, 3);
        var constant = Tape.Constant(Tensor.Zeros(2, 2));
        GradCheck.Assert(t => t.Concat([constant, a], 1), a);
        Assert.Null(constant.Grad);
    }

    [Fact]
    public void Split_WithOnlyOnePartUsed_LeavesTheOtherSliceGradientZero()
    {
        Variable x = GradCheck.Leaf(2, 1f, 2, 4);
        using var tape = new Tape();
        Variable[] parts = tape.Split(x, 1, [1, 3]);
        tape.Backward(tape.Sum(parts[1]));
        Assert.Equal([0f, 1f, 1f, 1f, 0f, 1f, 1f, 1f], x.Grad!.Span.ToArray());
    }
}
