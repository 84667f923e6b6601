// Settings shared by greedy decoding and beam search.
namespace Recurrent.Tasks.Decoding;

/// <summary>How to decode: beam width, length limit, length normalisation and the begin/end token ids.</summary>
/// <remarks>
/// Hypotheses are ranked by <c>log p(y) / |y|^α</c> where |y| counts the emitted tokens including the end
/// token and α is <see cref="LengthPenalty"/> (α = 0 ranks by raw log-probability, α = 1 by the mean per token).
/// Greedy decoding (beam 1) does not rank, so α does not change its output.
/// </remarks>
public sealed record DecodingOptions
{
    /// <param name="beginToken">Id fed as the previous token on the first step.</param>
    /// <param name="endToken">Id that ends a hypothesis.</param>
    /// <param name="beamSize">K ≥ 1; 1 is greedy decoding.</param>
    /// <param name="maxLength">Most tokens emitted per hypothesis, ≥ 1 (the end token included).</param>
    /// <param name="lengthPenalty">α ≥ 0 of the length normalisation.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public DecodingOptions(int beginToken, int endToken, int beamSize = 1, int maxLength = 100, float lengthPenalty = 1f)
    {
        if (beginToken < 0) throw new ArgumentOutOfRangeException(nameof(beginToken), beginToken, "The begin token id must be ≥ 0.");
        if (endToken < 0) throw new ArgumentOutOfRangeException(nameof(endToken), endToken, "The end token id must be ≥ 0.");
        if (beamSize < 1) throw new ArgumentOutOfRangeException(nameof(beamSize), beamSize, "--beam must be ≥ 1 (1 = greedy).");
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "--max-length must be ≥ 1.");
        if (!(lengthPenalty >= 0 && float.IsFinite(lengthPenalty)))
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, "--length-penalty must be a finite number ≥ 0.");
        (BeginToken, EndToken, BeamSize, MaxLength, LengthPenalty) = (beginToken, endToken, beamSize, maxLength, lengthPenalty);
    }

    /// <summary>Id fed as the previous token on the first step.</summary>
    public int BeginToken { get; }

    /// <summary>Id that ends a hypothesis (not included in the returned tokens).</summary>
    public int EndToken { get; }

    /// <summary>K, the number of hypotheses kept per input; 1 is greedy.</summary>
    public int BeamSize { get; }

    /// <summary>Most tokens emitted per hypothesis, the end token included.</summary>
    public int MaxLength { get; }

    /// <summary>α of the length normalisation <c>log p / |y|^α</c>.</summary>
    public float LengthPenalty { get; }

    /// <summary>The ranking score of a hypothesis with log-probability <paramref name="logProbability"/> and <paramref name="length"/> emitted tokens.</summary>
    public double Normalize(double logProbability, int length) =>
        LengthPenalty == 0 || length == 0 ? logProbability : logProbability / Math.Pow(length, LengthPenalty);
}

/// <summary>One decoded output.</summary>
/// <param name="Tokens">The emitted token ids, without the begin and end tokens.</param>
/// <param name="LogProbability">Sum of the log-probabilities of the emitted tokens (the end token included when emitted).</param>
/// <param name="Score">The ranking score (<see cref="DecodingOptions.Normalize"/>).</param>
/// <param name="Finished">Whether the hypothesis ended with the end token (false when it hit the length limit).</param>
/// <param name="Attention">Per emitted token (the end token included when emitted) the attention weights [S] of
/// the step that produced it; null when the model does not attend.</param>
public sealed record DecodedSequence(int[] Tokens, double LogProbability, double Score, bool Finished, float[][]? Attention);
