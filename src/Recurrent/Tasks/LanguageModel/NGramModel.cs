// A token n-gram model with interpolated Witten-Bell smoothing, the count-based partner a recurrent language
// model is mixed with (Mikolov et al. 2011 interpolate their RNN with an n-gram model; a cache that learns from
// the text being scored is Kuhn & De Mori 1990). It remembers every context of up to `Order` tokens in a text
// verbatim, which a network of a few million weights cannot; the network generalises, which counts cannot.
//
// Estimate, from the empty context up to the longest one seen (h_n = the n tokens before the target):
//   p_0(c) = 1 / V
//   p_n(c) = (C(h_n, c) + U(h_n)·p_{n−1}(c)) / (T(h_n) + U(h_n))
// with C(h, c) how often c followed h, T(h) = Σ_c C(h, c) and U(h) the number of distinct tokens that followed h.
// A context never seen ends the recursion (its longer contexts are unseen too).
//
// Counts live in two open-addressing tables keyed by 64-bit hashes: (context, token) → C and context → (T, U).
// A context's hash is built outward from the token just before the target, so the hashes of all orders at a
// position cost one mixing step each. Two different keys share a hash with probability ~2⁻⁶⁴ per pair: far
// below any effect on a score. Memory: 16 bytes per slot, tables at most 3/4 full (order 8 on Moby-Dick's
// 1.07 M characters: 2.3 M distinct n-grams and 1.6 M contexts, ~100 MB).
// Legend: V vocabulary size, N order.
using System.Runtime.CompilerServices;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>An n-gram model over token ids with interpolated Witten-Bell smoothing (see the file header).</summary>
public sealed class NGramModel
{
    public const int MaxOrder = 16;
    private const ulong EmptyContext = 0x243F6A8885A308D3UL;

    private readonly HashCounts _pairs = new();        // (context, token) → C
    private readonly HashCounts _contexts = new();     // context → T in the low 32 bits, U in the high 32

    /// <exception cref="ArgumentOutOfRangeException">V &lt; 1 or the order outside [1, <see cref="MaxOrder"/>].</exception>
    public NGramModel(int vocabularySize, int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        if (order < 1 || order > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"The n-gram order must be in [1, {MaxOrder}].");
        (VocabularySize, Order) = (vocabularySize, order);
    }

    public int VocabularySize { get; }

    /// <summary>The longest context, in tokens.</summary>
    public int Order { get; }

    /// <summary>Tokens counted (each with its contexts of every order).</summary>
    public long Tokens { get; private set; }

    /// <summary>Counts every token of <paramref name="tokens"/> after the tokens before it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V).</exception>
    public void Add(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++) Observe(tokens[..i], tokens[i]);
    }

    /// <summary>Counts <paramref name="token"/> once after <paramref name="history"/> (the tokens before it; only the last <see cref="Order"/> matter).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V).</exception>
    public void Observe(ReadOnlySpan<int> history, int token) => Count(history, token, +1);

    /// <summary>Takes back one <see cref="Observe"/> of the same token after the same history.</summary>
    /// <exception cref="InvalidOperationException">The token was not observed there.</exception>
    public void Forget(ReadOnlySpan<int> history, int token)
    {
        if (_pairs.Get(PairKey(EmptyContext, token)) == 0)
            throw new InvalidOperationException("NGramModel.Forget: the token was never observed after this history.");
        Count(history, token, -1);
    }

    /// <summary>p(token | history).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V).</exception>
    public double Probability(ReadOnlySpan<int> history, int token)
    {
        CheckToken(token);
        double p = 1.0 / VocabularySize;
        ulong h = EmptyContext;
        for (int n = 0; n <= Math.Min(Order, history.Length); n++)
        {
            if (n > 0) h = Extend(h, history[^n]);
            long entry = _contexts.Get(h);
            if (entry == 0) break;
            long t = (int)entry, u = entry >> 32;
            p = (_pairs.Get(PairKey(h, token)) + u * p) / (t + u);
        }
        return p;
    }

    /// <summary>p(· | history) for every token: <paramref name="probabilities"/> [V], summing to 1.</summary>
    /// <exception cref="ArgumentException">The span is not V long.</exception>
    public void Distribution(ReadOnlySpan<int> history, Span<float> probabilities)
    {
        if (probabilities.Length != VocabularySize)
            throw new ArgumentException($"NGramModel.Distribution: the span must hold V = {VocabularySize} probabilities; it holds {probabilities.Length}.", nameof(probabilities));
        Span<double> p = VocabularySize <= 4096 ? stackalloc double[VocabularySize] : new double[VocabularySize];
        p.Fill(1.0 / VocabularySize);
        ulong h = EmptyContext;
        for (int n = 0; n <= Math.Min(Order, history.Length); n++)
        {
            if (n > 0) h = Extend(h, history[^n]);
            long entry = _contexts.Get(h);
            if (entry == 0) break;
            double t = (int)entry, u = entry >> 32, scale = 1 / (t + u);
            for (int c = 0; c < p.Length; c++) p[c] = (_pairs.Get(PairKey(h, c)) + u * p[c]) * scale;
        }
        for (int c = 0; c < p.Length; c++) probabilities[c] = (float)p[c];
    }

    /// <summary>
    /// p(tokens[i + 1] | tokens[0 … i]) for every i, in order. With <paramref name="adapt"/> the model counts each
    /// target right after predicting it, as an adaptive compressor does (a cache of the text read so far), and
    /// forgets those counts again before returning: the model is unchanged.
    /// </summary>
    public float[] TargetProbabilities(ReadOnlySpan<int> tokens, bool adapt)
    {
        var p = new float[Math.Max(0, tokens.Length - 1)];
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            p[i] = (float)Probability(tokens[..(i + 1)], tokens[i + 1]);
            if (adapt) Observe(tokens[..(i + 1)], tokens[i + 1]);
        }
        if (adapt)
            for (int i = 0; i + 1 < tokens.Length; i++) Forget(tokens[..(i + 1)], tokens[i + 1]);
        return p;
    }

    private void Count(ReadOnlySpan<int> history, int token, int delta)
    {
        CheckToken(token);
        ulong h = EmptyContext;
        for (int n = 0; n <= Math.Min(Order, history.Length); n++)
        {
            if (n > 0) h = Extend(h, history[^n]);
            long pair = _pairs.Add(PairKey(h, token), delta);
            long distinct = delta > 0 && pair == 1 ? 1 : delta < 0 && pair == 0 ? -1 : 0;
            _contexts.Add(h, delta + (distinct << 32));
        }
        Tokens += delta;
    }

    private void CheckToken(int token)
    {
        if ((uint)token >= (uint)VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"Token ids must be in [0, {VocabularySize}).");
    }

    /// <summary>The hash of a context one token longer: <paramref name="older"/> before the tokens hashed in <paramref name="h"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Extend(ulong h, int older) => NonZero(Mix(h ^ ((ulong)(uint)older + 1) * 0x9E3779B97F4A7C15UL));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong PairKey(ulong context, int token) => NonZero(Mix(context + ((ulong)(uint)token + 1) * 0xC2B2AE3D27D4EB4FUL));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NonZero(ulong key) => key == 0 ? 1 : key;

    /// <summary>MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ (x >> 33);
    }

    /// <summary>An open-addressing table from non-zero 64-bit keys to 64-bit counts (absent = 0), linear probing.</summary>
    private sealed class HashCounts
    {
        private ulong[] _keys = new ulong[1024];
        private long[] _values = new long[1024];
        private int _used;

        public long Get(ulong key)
        {
            int mask = _keys.Length - 1;
            for (int i = (int)key & mask; ; i = (i + 1) & mask)
            {
                ulong k = _keys[i];
                if (k == key) return _values[i];
                if (k == 0) return 0;
            }
        }

        /// <summary>Adds <paramref name="delta"/> to the key's count and returns the new count.</summary>
        public long Add(ulong key, long delta)
        {
            if (_used * 4 >= _keys.Length * 3) Grow();
            int mask = _keys.Length - 1;
            for (int i = (int)key & mask; ; i = (i + 1) & mask)
            {
                ulong k = _keys[i];
                if (k == key) return _values[i] += delta;
                if (k == 0)
                {
                    (_keys[i], _values[i]) = (key, delta);
                    _used++;
                    return delta;
                }
            }
        }

        private void Grow()
        {
            ulong[] keys = _keys;
            long[] values = _values;
            _keys = new ulong[keys.Length * 2];
            _values = new long[keys.Length * 2];
            int mask = _keys.Length - 1;
            for (int j = 0; j < keys.Length; j++)
            {
                if (keys[j] == 0) continue;
                int i = (int)keys[j] & mask;
                while (_keys[i] != 0) i = (i + 1) & mask;
                (_keys[i], _values[i]) = (keys[j], values[j]);
            }
        }
    }
}
