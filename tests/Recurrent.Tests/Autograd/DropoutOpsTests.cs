using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

public sealed class DropoutOpsTests
{
    [Fact]
    public void Dropout_Backward_MatchesFiniteDifferences_WithAFixedSeed()
    {
        // A new generator with the same seed per evaluation, so every forward draws the same mask.
        Variable x = GradCheck.Leaf(1, 1f, 4, 6);
        GradCheck.Assert(t => t.Dropout(x, 0.4f, new Rng(42)), x);
    }

    [Fact]
    public void Dropout_InEvaluationMode_IsIdentity()
    {
        Variable x = GradCheck.Leaf(2, 1f, 4, 6);
        using var tape = new Tape { Training = false };
        Variable y = tape.Dropout(x, 0.5f, new Rng(1));
        Assert.Equal(x.Value.Span.ToArray(), y.Value.Span.ToArray());
    }

    [Fact]
    public void Dropout_WithZeroProbability_IsIdentity()
    {
        Variable x = GradCheck.Leaf(3, 1f, 4, 6);
        using var tape = new Tape();
        Assert.Equal(x.Value.Span.ToArray(), tape.Dropout(x, 0f, new Rng(1)).Value.Span.ToArray());
    }

    [Fact]
    public void Dropout_ZeroFraction_IsCloseToP_AndKeptValuesAreScaled()
    {
        const float p = 0.3f;
        var ones = Tensor.Zeros(100_000);
        ones.Span.Fill(1f);
        using var tape = new Tape();
        Variable y = tape.Dropout(Tape.Constant(ones), p, new Rng(7));
        int zeros = 0;
        foreach (float v in y.Value.Span)
        {
            if (v == 0f) zeros++;
            else Assert.Equal(1f / (1f - p), v, 6);
        }
        Assert.InRange(zeros / 100_000.0, p - 0.01, p + 0.01);
    }

    [Fact]
    public void Dropout_WithTheSameSeed_DrawsTheSameMask()
    {
        Variable x = GradCheck.Leaf(4, 1f, 50);
        using var tape = new Tape();
        float[] first = tape.Dropout(x, 0.5f, new Rng(9)).Value.Span.ToArray();
        float[] second = tape.Dropout(x, 0.5f, new Rng(9)).Value.Span.ToArray();
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1f)]
    [InlineData(float.NaN)]
    public void Dropout_WithProbabilityOutsideZeroToOne_Throws(float p)
    {
        Variable x = GradCheck.Leaf(5, 1f, 3);
        using var tape = new Tape();
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.Dropout(x, p, new Rng(1)));
    }
}
