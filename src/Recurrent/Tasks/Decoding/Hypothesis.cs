// A partial output as a linked list from its last token back to the start: extending a hypothesis or copying
// it to several beam slots shares its prefix instead of copying token and attention arrays.
using Recurrent.Tensors;

namespace Recurrent.Tasks.Decoding;

/// <summary>The last token of a partial output and a link to the rest.</summary>
internal sealed class Hypothesis
{
    private Hypothesis(Hypothesis? parent, int token, float[]? attention, double logProbability)
    {
        Parent = parent;
        Token = token;
        Attention = attention;
        LogProbability = logProbability;
        Length = parent is null ? 1 : parent.Length + 1;
    }

    public Hypothesis? Parent { get; }
    public int Token { get; }
    public float[]? Attention { get; }
    public double LogProbability { get; }

    /// <summary>Number of emitted tokens, this one included.</summary>
    public int Length { get; }

    /// <summary>Extends <paramref name="parent"/> (null: the start) by <paramref name="token"/>, copying row <paramref name="row"/> of <paramref name="attention"/> [N, S].</summary>
    public static Hypothesis Extend(Hypothesis? parent, int token, double logProbability, Tensor? attention, int row)
    {
        float[]? weights = null;
        if (attention is not null)
        {
            int s = attention.Dim(1);
            weights = attention.Span.Slice(row * s, s).ToArray();
        }
        return new Hypothesis(parent, token, weights, logProbability);
    }

    /// <summary>The output this hypothesis ends; the end token is dropped from the tokens but its attention kept.</summary>
    public DecodedSequence ToSequence(DecodingOptions options, bool finished)
    {
        var tokens = new int[finished ? Length - 1 : Length];
        float[][]? attention = Attention is null ? null : new float[Length][];
        int i = Length - 1;
        for (Hypothesis? h = this; h is not null; h = h.Parent, i--)
        {
            if (i < tokens.Length) tokens[i] = h.Token;
            if (attention is not null) attention[i] = h.Attention!;
        }
        return new DecodedSequence(tokens, LogProbability, options.Normalize(LogProbability, Length), finished, attention);
    }
}
