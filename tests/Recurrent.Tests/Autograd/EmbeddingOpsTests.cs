using Recurrent.Autograd;

namespace Recurrent.Tests.Autograd;

public sealed class EmbeddingOpsTests
{
    [Fact]
    public void Embedding_Backward_MatchesFiniteDifferences_WithRepeatedIndices()
    {
        Variable w = GradCheck.Leaf(1, 1f, 6, 4);
        int[] indices = [2, 0, 2, 5, 2, 0];
        GradCheck.Assert(t => t.Embedding(w, indices, [3, 2]), w);
    }

    [Fact]
    public void Embedding_Forward_GathersRowsIntoThePrefixShape()
    {
        Variable w = GradCheck.Leaf(2, 1f, 5, 3);
        using var tape = new Tape();
        Variable y = tape.Embedding(w, [4, 1], [1, 2]);
        Assert.Equal([1, 2, 3], y.Shape.ToArray());
        Assert.Equal(w.Value.Span.Slice(12, 3).ToArray(), y.Value.Span[..3].ToArray());
        Assert.Equal(w.Value.Span.Slice(3, 3).ToArray(), y.Value.Span[3..].ToArray());
    }

    [Fact]
    public void Embedding_Gradient_IsZeroOnUnusedRows()
    {
        Variable w = GradCheck.Leaf(3, 1f, 6, 4);
        using var tape = new Tape();
        Variable loss = tape.Sum(tape.Embedding(w, [1, 4, 1]));
        tape.Backward(loss);
        ReadOnlySpan<float> dW = w.Grad!.Span;
        for (int row = 0; row < 6; row++)
        {
            float expected = row == 1 ? 2f : row == 4 ? 1f : 0f;
            for (int j = 0; j < 4; j++) Assert.Equal(expected, dW[row * 4 + j]);
        }
    }

    [Fact]
    public void Embedding_WithOutOfRangeIndex_ThrowsNamingIndexPositionAndVocabulary()
    {
        Variable w = GradCheck.Leaf(4, 1f, 6, 4);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => tape.Embedding(w, [0, 3, 9]));
        Assert.Contains("index 9", e.Message);
        Assert.Contains("position 2", e.Message);
        Assert.Contains("V = 6", e.Message);
        Assert.Throws<ArgumentException>(() => tape.Embedding(w, [-1]));
    }
}
