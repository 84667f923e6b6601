using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class SoftmaxOpsTests
{
    [Fact]
    public void LogSoftmax_Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(1, 2f, 2, 3, 5);
        GradCheck.Assert(t => t.LogSoftmax(x), x);
    }

    [Fact]
    public void LogSoftmax_Backward_MatchesFiniteDifferences_ForLargeLogits()
    {
        Variable x = GradCheck.Leaf(2, 50f, 3, 4);
        GradCheck.Assert(t => t.LogSoftmax(x), x);
    }

    [Fact]
    public void LogSoftmax_Rows_ExponentiateToOne()
    {
        Variable x = GradCheck.Leaf(3, 30f, 4, 9);
        using var tape = new Tape();
        ReadOnlySpan<float> y = tape.LogSoftmax(x).Value.Span;
        for (int r = 0; r < 4; r++)
        {
            double sum = 0;
            for (int j = 0; j < 9; j++) sum += Math.Exp(y[r * 9 + j]);
            Assert.True(Math.Abs(sum - 1) < 1e-5, $"row {r}: softmax sums to {sum}, expected 1");
        }
    }
}
