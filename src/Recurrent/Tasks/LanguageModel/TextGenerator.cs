// Generation from a language model, one token at a time: temperature, top-k and nucleus (top-p) sampling,
// greedy at temperature 0. Reserved tokens (<pad>, <unk>, <bos>, <eos>) are never generated. The same seed
// gives the same text.
using System.Runtime.InteropServices;
using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>Sampling settings.</summary>
public sealed record SampleOptions
{
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public SampleOptions(int length = 500, float temperature = 0.8f, int topK = 0, float topP = 1f, ulong seed = 1)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "--length must be ≥ 0.");
        if (!(temperature >= 0 && float.IsFinite(temperature))) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "--temperature must be ≥ 0 (0 = greedy).");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "--top-k must be ≥ 0 (0 = off).");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "--top-p must be in (0, 1].");
        (Length, Temperature, TopK, TopP, Seed) = (length, temperature, topK, topP, seed);
    }

    public int Length { get; }
    public float Temperature { get; }
    public int TopK { get; }
    public float TopP { get; }
    public ulong Seed { get; }
}

/// <summary>Generates text from a language model.</summary>
public static class TextGenerator
{
    /// <summary>
    /// Feeds <paramref name="prime"/> (or a newline when empty) and yields each generated token's text as soon
    /// as it is sampled. A model with an n-gram mixture samples from the mixture unless <paramref name="useNGram"/>
    /// is false; the n-gram model conditions on the text so far but does not count what is generated.
    /// </summary>
    public static IEnumerable<string> Generate(LanguageModel model, string prime, SampleOptions options, WeightPrecision precision = WeightPrecision.Float32,
        bool useNGram = true)
    {
        int[] primeIds = model.Encode(prime.Length > 0 ? prime : "\n", out _);
        if (primeIds.Length == 0) primeIds = [model.Vocabulary.IdOf("\n")];
        var decoder = new StreamingDecoder(model.Network, precision);
        int v = model.Network.Shape.VocabularySize;
        var row = new float[v];
        NGramMixture? mixture = useNGram && model.NGram is { Mixes: true } m ? m : null;
        var history = new List<int>(primeIds.Length + options.Length);
        float[] ngram = mixture is null ? [] : new float[v], work = mixture is null ? [] : new float[v];
        void Next(int id, bool predict)
        {
            decoder.Step(id, row);
            history.Add(id);
            if (mixture is null || !predict) return;
            mixture.Model.Distribution(CollectionsMarshal.AsSpan(history), ngram);
            mixture.MixLogits(row, ngram, work);      // the sampler reads log-probabilities as logits
        }
        for (int i = 0; i < primeIds.Length; i++) Next(primeIds[i], predict: i == primeIds.Length - 1);
        var sampler = new TokenSampler(v, options);
        string previous = model.Vocabulary[primeIds[^1]];
        for (int i = 0; i < options.Length; i++)
        {
            int next = sampler.Next(row);
            // The text the token adds after the one before it: with words, the space between them too.
            string token = model.Vocabulary[next];
            yield return model.Tokenizer.Join([previous, token])[model.Tokenizer.Join([previous]).Length..];
            previous = token;
            Next(next, predict: true);
        }
    }

    /// <summary>Chooses the next token from logits: greedy, or sampled after temperature, top-k and top-p.</summary>
    /// <remarks><paramref name="logits"/> is modified (reserved tokens masked).</remarks>
    internal static int Pick(float[] logits, SampleOptions o, Rng rng, float[] probabilities, int[] order, float[] keys)
    {
        int v = logits.Length;
        for (int id = 0; id < Vocabulary.ReservedCount && id < v; id++) logits[id] = float.NegativeInfinity;
        if (o.Temperature == 0)
        {
            int best = Vocabulary.ReservedCount;
            for (int i = best + 1; i < v; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
        for (int i = 0; i < v; i++) probabilities[i] = logits[i] / o.Temperature;
        Softmax.Rows(probabilities, probabilities, 1, v);
        int keep = v;
        for (int i = 0; i < v; i++) order[i] = i;
        if (o.TopK > 0 || o.TopP < 1)
        {
            // Most probable first; only needed when the tail is cut.
            for (int i = 0; i < v; i++) keys[i] = -probabilities[i];
            Array.Sort(keys, order);
            if (o.TopK > 0) keep = Math.Min(o.TopK, v);
            if (o.TopP < 1)
            {
                double cumulative = 0;
                for (int i = 0; i < keep; i++)
                {
                    cumulative += probabilities[order[i]];
                    if (cumulative >= o.TopP) { keep = i + 1; break; }
                }
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += probabilities[order[i]];
        double u = rng.NextDouble() * total;
        for (int i = 0; i < keep; i++)
        {
            u -= probabilities[order[i]];
            if (u < 0) return order[i];
        }
        return order[keep - 1];
    }
}

/// <summary>Draws tokens from logits with fixed options and a seeded generator; no allocation per draw.</summary>
public sealed class TokenSampler
{
    private readonly SampleOptions _options;
    private readonly Rng _rng;
    private readonly float[] _probabilities, _keys;
    private readonly int[] _order;

    public TokenSampler(int vocabularySize, SampleOptions options)
    {
        _options = options;
        _rng = new Rng(options.Seed);
        (_probabilities, _keys, _order) = (new float[vocabularySize], new float[vocabularySize], new int[vocabularySize]);
    }

    /// <summary>The next token for <paramref name="logits"/> [V] (modified: reserved tokens are masked).</summary>
    public int Next(float[] logits) => TextGenerator.Pick(logits, _options, _rng, _probabilities, _order, _keys);
}
