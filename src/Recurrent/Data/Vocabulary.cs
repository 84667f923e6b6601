// A vocabulary: the map between tokens and integer ids. The four reserved tokens come first with fixed ids
// (<pad> 0, <unk> 1, <bos> 2, <eos> 3) so every task and every saved model agrees on them; the rest are
// ordered by descending frequency, ties broken by ordinal string order, so the same text always gives the
// same ids on any machine.
namespace Recurrent.Data;

/// <summary>Maps tokens to ids and back, with reserved padding, unknown, begin and end tokens.</summary>
public sealed class Vocabulary
{
    /// <summary>Id of <see cref="PadToken"/>, used to pad sequences of different lengths.</summary>
    public const int PadId = 0;

    /// <summary>Id of <see cref="UnknownToken"/>, given to tokens not in the vocabulary.</summary>
    public const int UnknownId = 1;

    /// <summary>Id of <see cref="BosToken"/>, the start of a sequence.</summary>
    public const int BosId = 2;

    /// <summary>Id of <see cref="EosToken"/>, the end of a sequence.</summary>
    public const int EosId = 3;

    /// <summary>How many reserved tokens precede the ones learned from data.</summary>
    public const int ReservedCount = 4;

    /// <summary>The padding token.</summary>
    public const string PadToken = "<pad>";

    /// <summary>The unknown token.</summary>
    public const string UnknownToken = "<unk>";

    /// <summary>The begin-of-sequence token.</summary>
    public const string BosToken = "<bos>";

    /// <summary>The end-of-sequence token.</summary>
    public const string EosToken = "<eos>";

    private static readonly string[] Reserved = [PadToken, UnknownToken, BosToken, EosToken];

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] tokens, Dictionary<string, int> ids)
    {
        _tokens = tokens;
        _ids = ids;
        Tokens = Array.AsReadOnly(tokens);
    }

    /// <summary>Number of tokens, reserved ones included.</summary>
    public int Count => _tokens.Length;

    /// <summary>All tokens in id order, starting with the four reserved ones.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>The token with the given id.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not in [0, <see cref="Count"/>).</exception>
    public string this[int id]
    {
        get
        {
            if ((uint)id >= (uint)_tokens.Length)
                throw new ArgumentOutOfRangeException(nameof(id), id,
                    $"Vocabulary: id {id} is outside [0, {_tokens.Length}); use an id this vocabulary produced.");
            return _tokens[id];
        }
    }

    /// <summary>Builds a vocabulary from the tokens of a text.</summary>
    /// <param name="tokens">The tokens in text order. Tokens equal to a reserved token map to it and are not added twice.</param>
    /// <param name="maxSize">The largest <see cref="Count"/>, reserved tokens included (≥ 4); the rarest tokens are dropped.</param>
    /// <param name="minFrequency">Tokens seen fewer times than this are dropped (≥ 1).</param>
    /// <remarks>
    /// Order: the reserved tokens, then by descending frequency, ties by ordinal string order. Dropped
    /// tokens encode as <see cref="UnknownId"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of its items is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> &lt; 4 or <paramref name="minFrequency"/> &lt; 1.</exception>
    public static Vocabulary Build(IEnumerable<string> tokens, int maxSize = int.MaxValue, int minFrequency = 1)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (maxSize < ReservedCount)
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize,
                $"Vocabulary.Build: maxSize counts the {ReservedCount} reserved tokens, so it must be at least {ReservedCount}; got {maxSize}.");
        if (minFrequency < 1)
            throw new ArgumentOutOfRangeException(nameof(minFrequency), minFrequency,
                $"Vocabulary.Build: minFrequency must be at least 1; got {minFrequency}.");

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            if (token is null)
                throw new ArgumentNullException(nameof(tokens), "Vocabulary.Build: a token is null; tokenizers never produce null tokens.");
            counts[token] = counts.GetValueOrDefault(token) + 1;
        }
        foreach (string reserved in Reserved) counts.Remove(reserved);

        var learned = counts.Where(kv => kv.Value >= minFrequency).ToList();
        learned.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        int keep = Math.Min(learned.Count, maxSize - ReservedCount);

        var all = new string[ReservedCount + keep];
        Reserved.CopyTo(all, 0);
        for (int i = 0; i < keep; i++) all[ReservedCount + i] = learned[i].Key;
        return new Vocabulary(all, IdsOf(all));
    }

    /// <summary>Recreates a vocabulary from its tokens in id order, as saved in a model's config.json.</summary>
    /// <param name="tokens">The tokens; must start with &lt;pad&gt; &lt;unk&gt; &lt;bos&gt; &lt;eos&gt; and hold no duplicates.</param>
    /// <param name="source">Names where the tokens came from in error messages, e.g. the config file's path.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    /// <exception cref="RecurrentDataException">The reserved prefix is missing or wrong, a token is null, or a token appears twice.</exception>
    public static Vocabulary FromTokens(IReadOnlyList<string> tokens, string source = "vocabulary")
    {
        ArgumentNullException.ThrowIfNull(tokens);
        const string fix = "the vocabulary was changed by hand or written by another program; restore the file or train again";
        if (tokens.Count < ReservedCount)
            throw new RecurrentDataException(
                $"{source}: the vocabulary has {tokens.Count} token(s), expected at least the {ReservedCount} reserved ones ({string.Join(' ', Reserved)}); {fix}.");

        var all = new string[tokens.Count];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = tokens[i] ?? throw new RecurrentDataException($"{source}: vocabulary token {i} is null, expected a string; {fix}.");
            if (i < ReservedCount && all[i] != Reserved[i])
                throw new RecurrentDataException(
                    $"{source}: vocabulary token {i} is \"{all[i]}\", expected the reserved \"{Reserved[i]}\" (the vocabulary must start with {string.Join(' ', Reserved)}); {fix}.");
        }

        var ids = new Dictionary<string, int>(all.Length, StringComparer.Ordinal);
        for (int i = 0; i < all.Length; i++)
        {
            if (!ids.TryAdd(all[i], i))
                throw new RecurrentDataException(
                    $"{source}: vocabulary token \"{all[i]}\" appears twice (ids {ids[all[i]]} and {i}), expected each token once; {fix}.");
        }
        return new Vocabulary(all, ids);
    }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/> when it is not in the vocabulary.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : UnknownId;
    }

    /// <summary>Whether <paramref name="token"/> has its own id (reserved tokens included).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="token"/> is null.</exception>
    public bool Contains(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.ContainsKey(token);
    }

    /// <summary>The ids of <paramref name="tokens"/>, in order.</summary>
    /// <param name="tokens">The tokens to encode.</param>
    /// <param name="unknownCount">
    /// How many tokens were not in the vocabulary and became <see cref="UnknownId"/>. A literal
    /// <c>&lt;unk&gt;</c> in the input is in the vocabulary and is not counted.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of its items is null.</exception>
    public int[] Encode(IEnumerable<string> tokens, out int unknownCount)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = tokens is IReadOnlyCollection<string> c ? new List<int>(c.Count) : new List<int>();
        unknownCount = 0;
        foreach (string token in tokens)
        {
            if (token is null)
                throw new ArgumentNullException(nameof(tokens), "Vocabulary.Encode: a token is null; tokenizers never produce null tokens.");
            if (_ids.TryGetValue(token, out int id))
            {
                ids.Add(id);
            }
            else
            {
                ids.Add(UnknownId);
                unknownCount++;
            }
        }
        return [.. ids];
    }

    private static Dictionary<string, int> IdsOf(string[] tokens)
    {
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) ids.Add(tokens[i], i);
        return ids;
    }
}
