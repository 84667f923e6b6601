using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;

namespace Recurrent.Tests.Nn.Attention;

public sealed class AttentionTests
{
    private const int S = 4, B = 3, F = 5, Q = 5, A = 6;
    private static readonly int[] Lengths = [4, 2, 1];

    [Fact]
    public void DotScores_Backward_MatchesFiniteDifferences()
    {
        Variable q = GradCheck.Leaf(1, 1f, B, F), k = GradCheck.Leaf(2, 1f, S, B, F);
        GradCheck.Assert(t => t.DotScores(q, k), q, k);
    }

    [Fact]
    public void AdditiveScores_Backward_MatchesFiniteDifferences()
    {
        Variable q = GradCheck.Leaf(3, 1f, B, A), k = GradCheck.Leaf(4, 1f, S, B, A), v = GradCheck.Leaf(5, 1f, A);
        GradCheck.Assert(t => t.AdditiveScores(q, k, v), q, k, v);
    }

    [Fact]
    public void AdditiveScores_BackwardTwice_DoublesGradients()
    {
        Variable q = GradCheck.Leaf(3, 1f, B, A), k = GradCheck.Leaf(4, 1f, S, B, A), v = GradCheck.Leaf(5, 1f, A);
        using var tape = new Tape();
        Variable loss = tape.Sum(tape.AdditiveScores(q, k, v));
        tape.Backward(loss);
        float[] once = v.Grad!.Span.ToArray();
        tape.Backward(loss);
        for (int i = 0; i < A; i++) Assert.Equal(2 * once[i], v.Grad.Span[i], 5);
    }

    [Theory]
    [InlineData(AttentionKind.Bahdanau)]
    [InlineData(AttentionKind.LuongDot)]
    [InlineData(AttentionKind.LuongGeneral)]
    public void Attention_Backward_MatchesFiniteDifferences_ThroughQueryMemoryAndWeights(AttentionKind kind)
    {
        IAttention attention = Recurrent.Nn.Attention.Create(kind, Q, F, A, new Rng(11))!;
        Variable query = GradCheck.Leaf(6, 1f, B, Q), memory = GradCheck.Leaf(7, 1f, S, B, F);
        var inputs = new List<Variable> { query, memory };
        inputs.AddRange(attention.Parameters());
        var result = GradCheckMany.Run(t =>
        {
            AttentionOutput o = attention.Attend(t, query, attention.Prepare(t, memory, Lengths));
            return [o.Context, o.Weights];
        }, inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Theory]
    [InlineData(AttentionKind.Bahdanau)]
    [InlineData(AttentionKind.LuongDot)]
    [InlineData(AttentionKind.LuongGeneral)]
    public void Attention_WeightsSumToOneOverValidSteps_AndPaddingGetsNone(AttentionKind kind)
    {
        IAttention attention = Recurrent.Nn.Attention.Create(kind, Q, F, A, new Rng(12))!;
        using var tape = new Tape();
        AttentionOutput o = attention.Attend(tape, GradCheck.Leaf(8, 1f, B, Q), attention.Prepare(tape, GradCheck.Leaf(9, 1f, S, B, F), Lengths));
        ReadOnlySpan<float> w = o.Weights.Value.Span;
        for (int j = 0; j < B; j++)
        {
            double sum = 0;
            for (int s = 0; s < S; s++)
            {
                if (s >= Lengths[j]) Assert.Equal(0f, w[s * B + j]);
                sum += w[s * B + j];
            }
            Assert.Equal(1.0, sum, 5);
        }
    }

    [Fact]
    public void Attention_ParameterNames_FollowThePyTorchModules()
    {
        var bahdanau = Recurrent.Nn.Attention.Create(AttentionKind.Bahdanau, Q, F, A, new Rng(1))!.NamedParameters("decoder.attention.");
        Assert.Equal(["decoder.attention.W.weight", "decoder.attention.U.weight", "decoder.attention.U.bias", "decoder.attention.v.weight"], bahdanau.Select(p => p.Name));
        Assert.Equal([A, Q], bahdanau[0].Parameter.Value.Shape.ToArray());
        Assert.Equal([1, A], bahdanau[3].Parameter.Value.Shape.ToArray());
        var general = Recurrent.Nn.Attention.Create(AttentionKind.LuongGeneral, Q, 8, A, new Rng(1))!.NamedParameters("decoder.attention.");
        Assert.Equal(["decoder.attention.W.weight"], general.Select(p => p.Name));
        Assert.Equal([Q, 8], general[0].Parameter.Value.Shape.ToArray());
        Assert.Empty(Recurrent.Nn.Attention.Create(AttentionKind.LuongDot, Q, F, A, new Rng(1))!.NamedParameters());
        Assert.Throws<ArgumentException>(() => Recurrent.Nn.Attention.Create(AttentionKind.LuongDot, Q, 8, A, new Rng(1)));
    }
}
