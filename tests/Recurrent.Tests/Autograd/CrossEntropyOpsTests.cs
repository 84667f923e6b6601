using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class CrossEntropyOpsTests
{
    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifferences()
    {
        Variable logits = GradCheck.Leaf(1, 2f, 5, 4);
        int[] targets = [0, 3, 1, 1, 2];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets), logits);
    }

    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifferences_WithIgnoreIndex()
    {
        Variable logits = GradCheck.Leaf(2, 2f, 5, 4);
        int[] targets = [0, -100, 1, -100, 2];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets), logits);
    }

    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifferences_WithWeights()
    {
        Variable logits = GradCheck.Leaf(3, 2f, 5, 4);
        int[] targets = [0, 3, 1, 1, 2];
        float[] weights = [1f, 0f, 0.5f, 2f, 1f];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets, weights: weights), logits);
    }

    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifferences_ForLargeLogits()
    {
        Variable logits = GradCheck.Leaf(4, 50f, 4, 6);
        int[] targets = [5, 0, 2, 3];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets), logits);
    }

    [Theory]
    [InlineData(CrossEntropyReduction.Sum)]
    [InlineData(CrossEntropyReduction.None)]
    public void CrossEntropy_Backward_MatchesFiniteDifferences_ForOtherReductions(CrossEntropyReduction reduction)
    {
        Variable logits = GradCheck.Leaf(5, 2f, 4, 3);
        int[] targets = [2, 0, 7, 1];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets, ignoreIndex: 7, reduction: reduction), logits);
    }

    [Fact]
    public void CrossEntropy_Backward_MatchesFiniteDifferences_WithLabelSmoothing()
    {
        Variable logits = GradCheck.Leaf(6, 2f, 4, 5);
        int[] targets = [4, 0, -100, 2];
        GradCheck.Assert(t => t.CrossEntropy(logits, targets, labelSmoothing: 0.1f), logits);
    }

    [Fact]
    public void CrossEntropy_EqualsMeanNegativeLogSoftmaxOfTargets()
    {
        float[][] rows = [[1f, 2f, 3f], [1f, 0f, -1f]];
        int[] targets = [2, 0];
        double expected = 0;
        for (int i = 0; i < 2; i++)
        {
            double sumExp = rows[i].Sum(v => Math.Exp(v));
            expected += -Math.Log(Math.Exp(rows[i][targets[i]]) / sumExp);
        }
        expected /= 2;
        var logits = new Variable(Recurrent.Tensors.Tensor.FromArray([.. rows[0], .. rows[1]], 2, 3), requiresGrad: true);
        using var tape = new Tape();
        Assert.Equal(expected, tape.CrossEntropy(logits, targets).Value[0], 5);
    }

    [Fact]
    public void CrossEntropy_WithLabelSmoothing_MatchesTheSmoothedTargetFormula()
    {
        float[] row = [0.5f, -1f, 2f, 0f];
        double logSum = Math.Log(row.Sum(v => Math.Exp(v)));
        double[] logP = row.Select(v => v - logSum).ToArray();
        double expected = -(0.8 * logP[1]) - 0.2 * logP.Average();
        var logits = new Variable(Recurrent.Tensors.Tensor.FromArray(row, 1, 4), requiresGrad: true);
        using var tape = new Tape();
        Assert.Equal(expected, tape.CrossEntropy(logits, [1], labelSmoothing: 0.2f).Value[0], 5);
    }

    [Fact]
    public void CrossEntropy_WithEveryTokenIgnored_IsZeroWithZeroGradients()
    {
        Variable logits = GradCheck.Leaf(7, 2f, 3, 4);
        using var tape = new Tape();
        Variable loss = tape.CrossEntropy(logits, [-100, -100, -100]);
        Assert.Equal(0f, loss.Value[0]);
        tape.Backward(loss);
        foreach (float g in logits.Grad!.Span) Assert.Equal(0f, g);
    }

    [Fact]
    public void CrossEntropy_BackwardTwice_DoublesLeafGradients()
    {
        Variable logits = GradCheck.Leaf(8, 2f, 3, 4);
        using var tape = new Tape();
        Variable loss = tape.CrossEntropy(logits, [1, 0, 3]);
        tape.Backward(loss);
        float[] once = logits.Grad!.Span.ToArray();
        tape.Backward(loss);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], logits.Grad!.Span[i], 6);
    }

    [Fact]
    public void CrossEntropy_WithOutOfRangeTarget_ThrowsNamingPositionAndValue()
    {
        Variable logits = GradCheck.Leaf(9, 2f, 3, 4);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.CrossEntropy(logits, [1, 4, 0]));
        Assert.Contains("target 4", e.Message);
        Assert.Contains("position 1", e.Message);
        Assert.Throws<ArgumentException>(() => tape.CrossEntropy(logits, [1, -1, 0]));
    }

    [Fact]
    public void CrossEntropy_WithWrongTargetCount_ThrowsWithExpectedAndActual()
    {
        Variable logits = GradCheck.Leaf(10, 2f, 3, 4);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.CrossEntropy(logits, [1, 2]));
        Assert.Contains("need 3 targets; got 2", e.Message);
    }
}
