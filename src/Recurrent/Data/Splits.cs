// Train/validation splits. A language model's text is split at its tail rather than shuffled, so the
// validation text is continuous prose the model has not seen, as in the usual char-rnn setup.
namespace Recurrent.Data;

/// <summary>Splits data into training and validation parts.</summary>
public static class Splits
{
    /// <summary>Takes the last <paramref name="validFraction"/> of <paramref name="tokens"/> for validation.</summary>
    /// <param name="tokens">N token ids in text order.</param>
    /// <param name="validFraction">The share for validation, in (0, 0.5]. The validation part has round(N · fraction) tokens.</param>
    /// <returns>Copies of the first N − V and the last V tokens.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="validFraction"/> is not in (0, 0.5].</exception>
    /// <exception cref="RecurrentDataException">One of the parts would be empty.</exception>
    public static (int[] Train, int[] Valid) TailSplit(int[] tokens, double validFraction)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (!(validFraction > 0 && validFraction <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(validFraction), validFraction,
                $"Splits.TailSplit: the validation fraction must be in (0, 0.5]; got {validFraction}.");

        int n = tokens.Length;
        int valid = (int)Math.Round(n * validFraction, MidpointRounding.AwayFromZero);
        int train = n - valid;
        if (valid < 1 || train < 1)
            throw new RecurrentDataException(
                $"Splits: the text has {n} tokens, so a validation fraction of {validFraction} gives {train} training and " +
                $"{valid} validation tokens; both parts need at least 1. Use a longer text, a larger fraction, or a separate validation file.");
        return (tokens[..train], tokens[train..]);
    }
}
