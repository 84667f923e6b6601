using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class SequencePoolingOpsTests
{
    private static readonly int[] Lengths = [4, 2, 1];

    [Fact]
    public void MeanOverTime_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(1, 1f, 4, 3, 5);
        GradCheck.Assert(t => t.MeanOverTime(x, Lengths), x);
    }

    [Fact]
    public void MaxOverTime_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(2, 1f, 4, 3, 5);
        GradCheck.Assert(t => t.MaxOverTime(x, Lengths), x);
    }

    [Fact]
    public void SoftmaxOverTime_Backward_MatchesFiniteDifferences()
    {
        Variable s = GradCheck.Leaf(3, 2f, 4, 3);
        GradCheck.Assert(t => t.SoftmaxOverTime(s, Lengths), s);
    }

    [Fact]
    public void WeightedSumOverTime_Backward_MatchesFiniteDifferences()
    {
        Variable w = GradCheck.Leaf(4, 1f, 4, 3), x = GradCheck.Leaf(5, 1f, 4, 3, 5);
        GradCheck.Assert(t => t.WeightedSumOverTime(w, x), w, x);
    }

    [Fact]
    public void Pooling_IgnoresPaddedSteps_AndZeroLengthGivesZeros()
    {
        Variable x = GradCheck.Leaf(6, 1f, 3, 2, 2);
        using var tape = new Tape();
        x.Value.Span[(2 * 2 + 1) * 2] = 100f; // a padded step of sequence 1 (length 2)
        Variable max = tape.MaxOverTime(x, [3, 2]);
        Assert.True(max.Value.Span[2] < 100f);
        Variable mean = tape.MeanOverTime(x, [3, 0]);
        Assert.Equal(0f, mean.Value.Span[2]);
        Variable a = tape.SoftmaxOverTime(GradCheck.Leaf(7, 1f, 3, 2), [3, 1]);
        Assert.Equal(1f, a.Value.Span[1], 5);   // sequence 1: one valid step
        Assert.Equal(0f, a.Value.Span[3]);
        Assert.Equal(1f, a.Value.Span[0] + a.Value.Span[2] + a.Value.Span[4], 5);
    }
}
