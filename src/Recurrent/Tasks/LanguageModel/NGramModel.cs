// A token n-gram model, the count-based partner a recurrent language model is mixed with (Mikolov et al. 2011
// interpolate their RNN with an n-gram model; a cache that learns from the text being scored is Kuhn & De Mori
// 1990). It remembers every context of up to `Order` tokens in a text verbatim, which a network of a few million
// weights cannot; the network generalises, which counts cannot.
//
// Two interpolated estimates, from the empty context up to the longest one seen (h_n = the n tokens before the
// target, p_{−1}(c) = 1 / V); a context never seen ends the recursion (its longer contexts are unseen too):
//   Witten-Bell:  p_n(c) = (C(h_n, c) + U(h_n)·p_{n−1}(c)) / (T(h_n) + U(h_n))
//   Kneser-Ney (modified, Chen & Goodman 1998, the default):
//                 p_n(c) = max(a(h_n, c) − D_n(a), 0) / A(h_n) + γ(h_n)·p_{n−1}(c),
//                 γ(h) = (D_n1·N1(h) + D_n2·N2(h) + D_n3·N3+(h)) / A(h)
// with C(h, c) how often c followed h, T(h) = Σ_c C(h, c) and U(h) the number of distinct tokens that followed h.
// Kneser-Ney counts a = C only at the longest order N; below it a(h, c) = N1+(• h c), the number of distinct
// tokens seen before h c (a continuation count: how many contexts c completes, not how often), A(h) = Σ_c a(h, c),
// and Nk(h) the number of tokens c with a(h, c) = k (N3+: ≥ 3). An order whose A is 0 (its context seen only at
// the start of a text) is passed over. The discounts of each order come from its counts of counts n_k (pairs
// with a = k) when a text is added: Y = n1 / (n1 + 2·n2), D_1 = 1 − 2Y·n2/n1, D_2 = 2 − 3Y·n3/n2,
// D_3+ = 3 − 4Y·n4/n3. On Moby-Dick's test part (order 8, counted on the training part) the n-gram model alone
// scores 2.57 bits per character with Witten-Bell and 2.08 with Kneser-Ney; mixed with the network, 1.881 and 1.878.
//
// Counts live in two open-addressing tables keyed by 64-bit hashes: (context, token) → C in the low 32 bits and
// N1+(• h c) in the high 32; context → T and A, and N1, N2, N3+ of the counts its order uses (C for Witten-Bell
// and at the longest order, continuation counts below it). A context's hash is built outward from the token just
// before the target, so the hashes of all orders at a position cost one mixing step each. Two different keys
// share a hash with probability ~2⁻⁶⁴ per pair: far below any effect on a score. Memory: 16 bytes per pair and
// 24 per context slot, tables at most 3/4 full (order 8 on Moby-Dick's 1.07 M characters: 112 MiB; order 10:
// 224 MiB, for 0.002 bits per character less in the mixture).
// Legend: V vocabulary size, N order.
using System.Runtime.CompilerServices;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>How an <see cref="NGramModel"/> shares probability between its orders (see the file header).</summary>
public enum NGramSmoothing
{
    /// <summary>Interpolated Witten-Bell: each context gives its lower order a share in proportion to the distinct tokens it has seen.</summary>
    WittenBell,

    /// <summary>Interpolated modified Kneser-Ney: discounted counts, continuation counts below the longest order.</summary>
    KneserNey,
}

/// <summary>An interpolated n-gram model over token ids (see the file header).</summary>
public sealed class NGramModel
{
    public const int MaxOrder = 16;

    /// <summary>The largest vocabulary: a context's counts of counts are kept in 21 bits each.</summary>
    public const int MaxVocabularySize = (1 << 21) - 1;

    private const ulong EmptyContext = 0x243F6A8885A308D3UL;
    private const int Bits21 = (1 << 21) - 1;

    private readonly HashCounts _pairs = new();           // (context, token) → C | N1+(• h c) << 32
    private readonly ContextTable _contexts = new();      // context → (T | A << 32, N1 | N2 << 21 | N3+ << 42)
    private readonly long[] _countsOfCounts;              // [order, k] for k = 1…4: pairs of that order whose count is k
    private readonly double[] _discounts;                 // [order, k − 1] for k = 1, 2, 3+ (Kneser-Ney)

    /// <exception cref="ArgumentOutOfRangeException">V outside [1, <see cref="MaxVocabularySize"/>] or the order outside [1, <see cref="MaxOrder"/>].</exception>
    public NGramModel(int vocabularySize, int order, NGramSmoothing smoothing = NGramSmoothing.KneserNey)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vocabularySize, MaxVocabularySize);
        if (order < 1 || order > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"The n-gram order must be in [1, {MaxOrder}].");
        if (!Enum.IsDefined(smoothing))
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "Unknown n-gram smoothing.");
        (VocabularySize, Order, Smoothing) = (vocabularySize, order, smoothing);
        _countsOfCounts = new long[(order + 1) * 5];
        _discounts = new double[(order + 1) * 3];
        UpdateDiscounts();
    }

    public int VocabularySize { get; }

    /// <summary>The longest context, in tokens.</summary>
    public int Order { get; }

    public NGramSmoothing Smoothing { get; }

    /// <summary>Tokens counted (each with its contexts of every order).</summary>
    public long Tokens { get; private set; }

    /// <summary>
    /// Kneser-Ney's discounts (D_1, D_2, D_3+) of contexts of <paramref name="order"/> tokens, as the last
    /// <see cref="Add"/> left them (before any: 0.5, 1, 1.5). Counting one token at a time (<see cref="Observe"/>)
    /// leaves them as they are, so an adaptive scorer predicts with fixed discounts.
    /// </summary>
    public (double D1, double D2, double D3) Discounts(int order)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(order);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, Order);
        return (_discounts[3 * order], _discounts[3 * order + 1], _discounts[3 * order + 2]);
    }

    /// <summary>Counts every token of <paramref name="tokens"/> after the tokens before it, then sets the discounts from the counts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V).</exception>
    public void Add(ReadOnlySpan<int> tokens)
    {
        for (int i = 0; i < tokens.Length; i++) Observe(tokens[..i], tokens[i]);
        UpdateDiscounts();
    }

    /// <summary>Counts <paramref name="token"/> once after <paramref name="history"/> (the tokens before it; only the last <see cref="Order"/> matter).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id outside [0, V).</exception>
    public void Observe(ReadOnlySpan<int> history, int token) => Count(history, token, +1);

    /// <summary>Takes back one <see cref="Observe"/> of the same token after the same history.</summary>
    /// <exception cref="InvalidOperationException">The token was not observed there.</exception>
    public void Forget(ReadOnlySpan<int> history, int token)
    {
        CheckToken(token);
        if ((int)_pairs.Get(PairKey(EmptyContext, token)) == 0)
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
            if (!Level(h, n, out Stats s)) break;
            if (s.Total == 0) continue;
            p = s.Estimate(Count(h, token, n), p);
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
            if (!Level(h, n, out Stats s)) break;
            if (s.Total == 0) continue;
            for (int c = 0; c < p.Length; c++) p[c] = s.Estimate(Count(h, c, n), p[c]);
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
            for (int i = tokens.Length - 2; i >= 0; i--) Forget(tokens[..(i + 1)], tokens[i + 1]);
        return p;
    }

    /// <summary>Whether contexts of <paramref name="n"/> tokens use the raw counts C (else continuation counts).</summary>
    private bool UsesRawCounts(int n) => Smoothing == NGramSmoothing.WittenBell || n == Order;

    /// <summary>The count of <paramref name="token"/> after context <paramref name="h"/> of <paramref name="n"/> tokens that the estimate uses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Count(ulong h, int token, int n)
    {
        long pair = _pairs.Get(PairKey(h, token));
        return UsesRawCounts(n) ? (int)pair : (int)(pair >> 32);
    }

    /// <summary>The statistics of context <paramref name="h"/> of <paramref name="n"/> tokens; false when it was never seen.</summary>
    private bool Level(ulong h, int n, out Stats stats)
    {
        (long first, long second) = _contexts.Get(h);
        stats = default;
        if ((int)first == 0) return false;
        int total = (int)(first >> 32), n1 = (int)(second & Bits21), n2 = (int)((second >> 21) & Bits21), n3 = (int)(second >> 42);
        if (Smoothing == NGramSmoothing.WittenBell)
            stats = new Stats(total, 0, 0, 0, n1 + n2 + n3, witten: true);
        else
        {
            int k = 3 * n;
            stats = new Stats(total, _discounts[k], _discounts[k + 1], _discounts[k + 2],
                _discounts[k] * n1 + _discounts[k + 1] * n2 + _discounts[k + 2] * n3, witten: false);
        }
        return true;
    }

    /// <summary>One order's estimate from its context's statistics (see the file header).</summary>
    private readonly struct Stats(int total, double d1, double d2, double d3, double lowerMass, bool witten)
    {
        /// <summary>T (Witten-Bell) or A (Kneser-Ney): the sum of the counts the estimate uses.</summary>
        public int Total => total;

        /// <summary>p_n(c) from a(h, c) and p_{n−1}(c).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Estimate(int count, double lower)
        {
            if (witten) return (count + lowerMass * lower) / (total + lowerMass);
            double discounted = count == 0 ? 0 : count - (count == 1 ? d1 : count == 2 ? d2 : d3);
            return (discounted + lowerMass * lower) / total;
        }
    }

    private void Count(ReadOnlySpan<int> history, int token, int delta)
    {
        CheckToken(token);
        int m = Math.Min(Order, history.Length);
        Span<ulong> contexts = stackalloc ulong[MaxOrder + 1];
        contexts[0] = EmptyContext;
        for (int n = 1; n <= m; n++) contexts[n] = Extend(contexts[n - 1], history[^n]);
        // From the longest context down: (h_n, token) gains a continuation count when (h_{n+1}, token) is new.
        bool longerCrossedZero = false;
        for (int n = m; n >= 0; n--)
        {
            int continuationDelta = n < m && longerCrossedZero ? delta : 0;
            long pair = _pairs.Add(PairKey(contexts[n], token), delta + ((long)continuationDelta << 32));
            int raw = (int)pair, continuation = (int)(pair >> 32);
            longerCrossedZero = delta > 0 ? raw == 1 : raw == 0;
            bool rawCounts = UsesRawCounts(n);
            int used = rawCounts ? raw : continuation, usedDelta = rawCounts ? delta : continuationDelta;
            _contexts.Update(contexts[n], delta, usedDelta, used);
            if (usedDelta == 0) continue;
            int before = used - usedDelta;
            if (before is >= 1 and <= 4) _countsOfCounts[5 * n + before]--;
            if (used is >= 1 and <= 4) _countsOfCounts[5 * n + used]++;
        }
        Tokens += delta;
    }

    /// <summary>Sets Kneser-Ney's discounts of every order from its counts of counts (Chen &amp; Goodman's estimates).</summary>
    private void UpdateDiscounts()
    {
        for (int n = 0; n <= Order; n++)
        {
            ReadOnlySpan<long> c = _countsOfCounts.AsSpan(5 * n, 5);
            double d1 = 0.5, d2 = 1.0, d3 = 1.5;                 // too few counts to estimate from
            if (c[1] > 0 && c[2] > 0 && c[3] > 0 && c[4] > 0)
            {
                double y = c[1] / (double)(c[1] + 2 * c[2]);
                d1 = 1 - 2 * y * c[2] / c[1];
                d2 = 2 - 3 * y * c[3] / c[2];
                d3 = 3 - 4 * y * c[4] / c[3];
            }
            // Each discount stays inside (0, k): a seen token keeps some of its count and the lower order some mass.
            _discounts[3 * n] = Math.Clamp(d1, 0.05, 0.95);
            _discounts[3 * n + 1] = Math.Clamp(d2, 0.1, 1.9);
            _discounts[3 * n + 2] = Math.Clamp(d3, 0.1, 2.9);
        }
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

    /// <summary>Open addressing over non-zero 64-bit keys, linear probing, at most 3/4 full: the slots of a table.</summary>
    private abstract class HashSlots
    {
        protected ulong[] Keys = new ulong[1024];
        private int _used;

        /// <summary>The key's slot, or −1 when absent.</summary>
        protected int Find(ulong key)
        {
            int mask = Keys.Length - 1;
            for (int i = (int)key & mask; ; i = (i + 1) & mask)
            {
                ulong k = Keys[i];
                if (k == key) return i;
                if (k == 0) return -1;
            }
        }

        /// <summary>The key's slot, made (with zero values) when absent.</summary>
        protected int FindOrAdd(ulong key)
        {
            if (_used * 4 >= Keys.Length * 3) Grow();
            int mask = Keys.Length - 1;
            for (int i = (int)key & mask; ; i = (i + 1) & mask)
            {
                ulong k = Keys[i];
                if (k == key) return i;
                if (k == 0)
                {
                    Keys[i] = key;
                    _used++;
                    return i;
                }
            }
        }

        private void Grow()
        {
            ulong[] keys = Keys;
            Keys = new ulong[keys.Length * 2];
            int mask = Keys.Length - 1;
            var moves = new int[keys.Length];
            for (int j = 0; j < keys.Length; j++)
            {
                if (keys[j] == 0) { moves[j] = -1; continue; }
                int i = (int)keys[j] & mask;
                while (Keys[i] != 0) i = (i + 1) & mask;
                Keys[i] = keys[j];
                moves[j] = i;
            }
            Resize(Keys.Length, moves);
        }

        /// <summary>Makes the value arrays <paramref name="length"/> long, moving old slot j to <paramref name="moves"/>[j] (−1: empty).</summary>
        protected abstract void Resize(int length, int[] moves);

        protected static T[] Moved<T>(T[] old, int length, int[] moves)
        {
            var values = new T[length];
            for (int j = 0; j < old.Length; j++)
                if (moves[j] >= 0) values[moves[j]] = old[j];
            return values;
        }
    }

    /// <summary>Non-zero 64-bit keys to 64-bit counts (absent = 0).</summary>
    private sealed class HashCounts : HashSlots
    {
        private long[] _values = new long[1024];

        public long Get(ulong key)
        {
            int i = Find(key);
            return i < 0 ? 0 : _values[i];
        }

        /// <summary>Adds <paramref name="delta"/> to the key's count and returns the new count.</summary>
        public long Add(ulong key, long delta)
        {
            int i = FindOrAdd(key);         // first: finding may grow the table and replace _values
            return _values[i] += delta;
        }

        protected override void Resize(int length, int[] moves) => _values = Moved(_values, length, moves);
    }

    /// <summary>Context hashes to their statistics: (T | A &lt;&lt; 32, N1 | N2 &lt;&lt; 21 | N3+ &lt;&lt; 42), absent = zeros.</summary>
    private sealed class ContextTable : HashSlots
    {
        private long[] _first = new long[1024], _second = new long[1024];

        public (long First, long Second) Get(ulong key)
        {
            int i = Find(key);
            return i < 0 ? (0, 0) : (_first[i], _second[i]);
        }

        /// <summary>T += <paramref name="delta"/>; A += <paramref name="usedDelta"/>, one pair's used count having moved by it to <paramref name="after"/>.</summary>
        public void Update(ulong key, int delta, int usedDelta, int after)
        {
            int i = FindOrAdd(key);
            _first[i] += delta + ((long)usedDelta << 32);
            if (usedDelta == 0) return;
            int before = after - usedDelta;
            if (before >= 1) _second[i] -= 1L << (21 * (Math.Min(before, 3) - 1));
            if (after >= 1) _second[i] += 1L << (21 * (Math.Min(after, 3) - 1));
        }

        protected override void Resize(int length, int[] moves)
        {
            _first = Moved(_first, length, moves);
            _second = Moved(_second, length, moves);
        }
    }
}
