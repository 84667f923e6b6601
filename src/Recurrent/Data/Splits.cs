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

    /// <summary>
    /// A seeded random hold-out: round(N · <paramref name="fraction"/>) items for validation, the rest for training,
    /// each part in the original order.
    /// </summary>
    /// <param name="items">The N items.</param>
    /// <param name="fraction">The share held out.</param>
    /// <param name="seed">Seed of the Fisher–Yates shuffle that picks the held-out items.</param>
    /// <param name="path">The data file, for the error message.</param>
    /// <param name="what">What the items are, plural (e.g. "sequences"), for the error message.</param>
    /// <exception cref="RecurrentDataException">One of the parts would be empty.</exception>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Valid) RandomHoldOut<T>(IReadOnlyList<T> items, double fraction, ulong seed, string path, string what)
    {
        int held = (int)Math.Round(items.Count * fraction, MidpointRounding.AwayFromZero);
        if (held < 1 || held >= items.Count)
            throw new RecurrentDataException($"{path}: {items.Count} {what} are too few to hold out {fraction:P0} for validation; give --valid or more data.");
        int[] order = Enumerable.Range(0, items.Count).ToArray();
        var rng = new Tensors.Rng(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return (order[held..].Order().Select(i => items[i]).ToArray(), order[..held].Order().Select(i => items[i]).ToArray());
    }
}
