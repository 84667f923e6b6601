using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

public sealed class NGramModelTests
{
    /// <summary>Interpolated Witten-Bell written plainly over string-keyed dictionaries: the specification.</summary>
    private sealed class ReferenceWittenBell(int v, int order)
    {
        private readonly Dictionary<string, Dictionary<int, int>> _followers = [];

        private static string Key(IEnumerable<int> context) => string.Join(",", context);

        public void Add(int[] tokens)
        {
            for (int i = 0; i < tokens.Length; i++)
                for (int n = 0; n <= Math.Min(order, i); n++)
                {
                    string key = Key(tokens[(i - n)..i]);
                    if (!_followers.TryGetValue(key, out var counts)) _followers[key] = counts = [];
                    counts[tokens[i]] = counts.GetValueOrDefault(tokens[i]) + 1;
                }
        }

        public double Probability(int[] history, int token)
        {
            double p = 1.0 / v;
            for (int n = 0; n <= Math.Min(order, history.Length); n++)
            {
                if (!_followers.TryGetValue(Key(history[^n..]), out var counts)) break;
                double t = counts.Values.Sum(), u = counts.Count;
                p = (counts.GetValueOrDefault(token) + u * p) / (t + u);
            }
            return p;
        }
    }

    /// <summary>
    /// Interpolated modified Kneser-Ney written plainly from its definition: every count recounted from the text
    /// over string-keyed dictionaries, continuation counts as sets of distinct left neighbours.
    /// </summary>
    private sealed class ReferenceKneserNey
    {
        private readonly int _v, _order;
        private readonly Dictionary<string, Dictionary<int, int>> _raw = [];
        private readonly Dictionary<string, Dictionary<int, HashSet<int>>> _left = [];
        private readonly double[][] _discounts;

        public ReferenceKneserNey(int v, int order, int[] text)
        {
            (_v, _order) = (v, order);
            for (int i = 0; i < text.Length; i++)
                for (int n = 0; n <= Math.Min(order, i); n++)
                {
                    string key = Key(text[(i - n)..i]);
                    if (!_raw.TryGetValue(key, out var counts)) _raw[key] = counts = [];
                    counts[text[i]] = counts.GetValueOrDefault(text[i]) + 1;
                    if (n < i)      // a token before the context: h c is continued to the left
                    {
                        if (!_left.TryGetValue(key, out var sets)) _left[key] = sets = [];
                        if (!sets.TryGetValue(text[i], out var set)) sets[text[i]] = set = [];
                        set.Add(text[i - n - 1]);
                    }
                }
            _discounts = new double[order + 1][];
            for (int n = 0; n <= order; n++)
            {
                var all = _raw.Where(e => e.Key.Length == 0 ? n == 0 : e.Key.Split(',').Length == n)
                    .SelectMany(e => Counts(e.Key, n).Values).ToList();
                double[] nk = [.. Enumerable.Range(0, 5).Select(k => (double)all.Count(a => a == k))];
                double y = nk[1] / (nk[1] + 2 * nk[2]);
                _discounts[n] = nk[1] > 0 && nk[2] > 0 && nk[3] > 0 && nk[4] > 0
                    ? [Math.Clamp(1 - 2 * y * nk[2] / nk[1], 0.05, 0.95), Math.Clamp(2 - 3 * y * nk[3] / nk[2], 0.1, 1.9), Math.Clamp(3 - 4 * y * nk[4] / nk[3], 0.1, 2.9)]
                    : [0.5, 1.0, 1.5];
            }
        }

        private static string Key(IEnumerable<int> context) => string.Join(",", context);

        /// <summary>a(h, ·): raw counts at the longest order, the numbers of distinct left neighbours below it.</summary>
        private Dictionary<int, int> Counts(string key, int n) => n == _order
            ? _raw[key]
            : _left.TryGetValue(key, out var sets) ? sets.ToDictionary(e => e.Key, e => e.Value.Count) : [];

        public double Probability(int[] history, int token)
        {
            double p = 1.0 / _v;
            for (int n = 0; n <= Math.Min(_order, history.Length); n++)
            {
                string key = Key(history[^n..]);
                if (!_raw.ContainsKey(key)) break;
                Dictionary<int, int> a = Counts(key, n);
                double total = a.Values.Sum();
                if (total == 0) continue;
                double[] d = _discounts[n];
                double D(int count) => d[Math.Min(count, 3) - 1];
                double gamma = a.Values.Sum(count => D(count)) / total;
                int own = a.GetValueOrDefault(token);
                p = (own > 0 ? own - D(own) : 0) / total + gamma * p;
            }
            return p;
        }

        public double Discount(int n, int k) => _discounts[n][k];
    }

    private static int[] RandomTokens(int count, int v, ulong seed)
    {
        var rng = new Rng(seed);
        // Skewed draws so that contexts repeat and every order gets counts.
        return Enumerable.Range(0, count).Select(_ => (int)(Math.Pow(rng.NextFloat(), 2) * v)).ToArray();
    }

    /// <summary>p(c | history) of the model against the reference for every token after every prefix of a random probe.</summary>
    private static void AgreesOnAProbe(NGramModel model, Func<int[], int, double> reference)
    {
        int[] probe = RandomTokens(300, model.VocabularySize, 8);
        for (int i = 0; i < probe.Length; i++)
            for (int c = 0; c < model.VocabularySize; c++)
                Assert.Equal(reference(probe[..i], c), model.Probability(probe[..i], c), 12);
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(5, 3)]
    [InlineData(12, 6)]
    public void Probability_MatchesAPlainWittenBellReference(int v, int order)
    {
        int[] text = RandomTokens(3000, v, 7);
        var model = new NGramModel(v, order, NGramSmoothing.WittenBell);
        var reference = new ReferenceWittenBell(v, order);
        model.Add(text);
        reference.Add(text);
        AgreesOnAProbe(model, reference.Probability);
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(5, 3)]
    [InlineData(12, 6)]
    public void Probability_MatchesAPlainKneserNeyReference(int v, int order)
    {
        int[] text = RandomTokens(3000, v, 7);
        var model = new NGramModel(v, order);
        Assert.Equal(NGramSmoothing.KneserNey, model.Smoothing);
        model.Add(text);
        var reference = new ReferenceKneserNey(v, order, text);
        for (int n = 0; n <= order; n++)
        {
            (double d1, double d2, double d3) = model.Discounts(n);
            Assert.Equal(reference.Discount(n, 0), d1, 12);
            Assert.Equal(reference.Discount(n, 1), d2, 12);
            Assert.Equal(reference.Discount(n, 2), d3, 12);
        }
        AgreesOnAProbe(model, reference.Probability);
    }

    [Fact]
    public void KneserNey_OfABigramModel_IsWhatTheFormulaGives()
    {
        // Text 0 1 0 1 0 2, V = 3, order 1; too few counts to estimate discounts: D = (0.5, 1, 1.5).
        // Empty context, continuation counts (distinct tokens before c): a = (1 [after 1], 1 [after 0], 1 [after 0]),
        //   A = 3, γ = 3·0.5 / 3 = 0.5 → p₀(c) = (1 − 0.5) / 3 + 0.5 / 3 = 1/3 for every c.
        // After 0 (the longest order: raw counts): 1 twice, 2 once, A = 3, γ = (1 + 0.5) / 3 = 0.5
        //   → p(1 | 0) = (2 − 1) / 3 + 0.5 / 3 = 1/2, p(2 | 0) = 0.5 / 3 + 0.5 / 3 = 1/3, p(0 | 0) = 1/6.
        var model = new NGramModel(3, 1);
        model.Add([0, 1, 0, 1, 0, 2]);
        Assert.Equal((0.5, 1.0, 1.5), model.Discounts(1));
        Assert.Equal(1.0 / 3, model.Probability([], 0), 12);
        Assert.Equal(1.0 / 2, model.Probability([0], 1), 12);
        Assert.Equal(1.0 / 3, model.Probability([0], 2), 12);
        Assert.Equal(1.0 / 6, model.Probability([0], 0), 12);
        // A context never seen (2 ends the text, so nothing followed it) falls back to the empty context's estimate.
        Assert.Equal(1.0 / 3, model.Probability([2], 0), 12);
    }

    [Fact]
    public void Probability_OfABigramModel_IsWhatTheFormulaGives()
    {
        // Text 0 1 0 1 0 2, V = 3, order 1.
        // Empty context: C = (3, 2, 1), T = 6, U = 3 → p₀(c) = (C(c) + 3·⅓) / 9 = (4, 3, 2) / 9.
        // After 0: 1 twice, 2 once → T = 3, U = 2 → p(1 | 0) = (2 + 2·3/9) / 5 = 8/15.
        var model = new NGramModel(3, 1, NGramSmoothing.WittenBell);
        model.Add([0, 1, 0, 1, 0, 2]);
        Assert.Equal(4.0 / 9, model.Probability([], 0), 12);
        Assert.Equal(2.0 / 9, model.Probability([], 2), 12);
        Assert.Equal(8.0 / 15, model.Probability([0], 1), 12);
        Assert.Equal((0 + 2 * 4.0 / 9) / 5, model.Probability([0], 0), 12);
        Assert.Equal(6, model.Tokens);
        // A context never seen falls back to the empty context's estimate; an empty model is uniform.
        Assert.Equal(4.0 / 9, model.Probability([2], 0), 12);
        Assert.Equal(1.0 / 3, new NGramModel(3, 4, NGramSmoothing.WittenBell).Probability([0, 1], 2), 12);
    }

    [Theory]
    [InlineData(NGramSmoothing.KneserNey)]
    [InlineData(NGramSmoothing.WittenBell)]
    public void Distribution_SumsToOne_AndAgreesWithProbability(NGramSmoothing smoothing)
    {
        int v = 9;
        var model = new NGramModel(v, 4, smoothing);
        model.Add(RandomTokens(2000, v, 3));
        int[] history = RandomTokens(50, v, 4);
        var p = new float[v];
        for (int i = 0; i < history.Length; i += 7)
        {
            model.Distribution(history[..i], p);
            Assert.Equal(1.0, p.Sum(x => (double)x), 5);
            for (int c = 0; c < v; c++) Assert.Equal(model.Probability(history[..i], c), p[c], 6);
        }
        Assert.Throws<ArgumentException>(() => model.Distribution(history, new float[v - 1]));
    }

    [Theory]
    [InlineData(NGramSmoothing.KneserNey)]
    [InlineData(NGramSmoothing.WittenBell)]
    public void TargetProbabilities_Adaptive_LearnsFromTheTextAndLeavesTheModelAsItWas(NGramSmoothing smoothing)
    {
        int v = 30;
        var model = new NGramModel(v, 5, smoothing);
        model.Add(RandomTokens(500, v, 1));
        int[] once = RandomTokens(200, v, 2);
        int[] twice = [.. once, .. once];
        float[] before = model.TargetProbabilities(twice, adapt: false);
        float[] adaptive = model.TargetProbabilities(twice, adapt: true);
        // The first copy is new to the model either way; the second is predicted far better once it has been read.
        double Bits(float[] p, int from, int to) => p[from..to].Sum(x => -Math.Log2(x));
        Assert.InRange(Bits(adaptive, 0, 50) / Bits(before, 0, 50), 0.9, 1.1);
        Assert.True(Bits(adaptive, 205, 399) < 0.3 * Bits(before, 205, 399), $"{Bits(adaptive, 205, 399)} vs {Bits(before, 205, 399)}");
        Assert.Equal(before, model.TargetProbabilities(twice, adapt: false));   // forgotten again
        Assert.Equal(500, model.Tokens);
        // Counting a text one token at a time and taking it back, in any order, leaves every count as it was.
        var fresh = new NGramModel(v, 5, smoothing);
        fresh.Add(RandomTokens(500, v, 1));
        for (int i = 0; i + 1 < once.Length; i++) model.Observe(once.AsSpan(0, i + 1), once[i + 1]);
        for (int i = 0; i + 1 < once.Length; i++) model.Forget(once.AsSpan(0, i + 1), once[i + 1]);
        for (int i = 0; i < 40; i++)
            for (int c = 0; c < v; c++) Assert.Equal(fresh.Probability(twice[..i], c), model.Probability(twice[..i], c), 14);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, NGramModel.MaxOrder + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(NGramModel.MaxVocabularySize + 1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, 3, (NGramSmoothing)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, 3).Discounts(4));
        var model = new NGramModel(5, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Add([1, 5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Probability([1], -1));
        Assert.Throws<InvalidOperationException>(() => model.Forget([1], 2));
    }

    [Fact]
    public void FitWeight_IsTheMaximumOfTheHeldOutLikelihood()
    {
        var rng = new Rng(9);
        double[] a = Enumerable.Range(0, 500).Select(_ => (double)rng.NextFloat() * 0.9 + 0.01).ToArray();
        float[] b = Enumerable.Range(0, 500).Select(i => i % 3 == 0 ? 0.95f : rng.NextFloat() * 0.2f + 0.001f).ToArray();
        double LogLikelihood(double w) => a.Select((x, i) => Math.Log(NGramMixture.Mix(x, b[i], w))).Sum();
        double fitted = NGramMixture.FitWeight(a, b);
        Assert.InRange(fitted, 0.01, 0.99);
        for (double w = 0; w <= 1; w += 0.001) Assert.True(LogLikelihood(w) <= LogLikelihood(fitted) + 1e-9, $"w {w} beats the fit {fitted}");
        // A useless n-gram model gets no weight; a useless network leaves everything to the n-gram model.
        Assert.Equal(0, NGramMixture.FitWeight(a, a.Select(_ => 1e-6f).ToArray()));
        Assert.Equal(1, NGramMixture.FitWeight(a.Select(_ => 1e-6).ToArray(), b));
        Assert.Throws<ArgumentException>(() => NGramMixture.FitWeight(a, b[..10]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramMixture(new NGramModel(3, 1), 1.5));
    }

    private static (LanguageModelNetwork Network, NGramMixture Mixture, int[] Tokens) Setup(int targets)
    {
        int v = 12;
        var network = new LanguageModelNetwork(new LanguageModelShape(v, CellKind.Lstm, 8, 16, 1, 0f), new Rng(3));
        var counts = new NGramModel(v, 4);
        counts.Add(RandomTokens(3000, v, 10));
        return (network, new NGramMixture(counts, 0.3), RandomTokens(targets + 1, v, 11));
    }

    [Fact]
    public void Evaluate_WithAMixture_ScoresEachTargetByTheMixtureInTextOrder()
    {
        // 600 targets: two streams. Stream 0 starts the text from zeros, so there the network's probabilities are
        // those of reading the text token by token; the mixture pairs each with the n-gram probability of the
        // same place in the text.
        var (network, mixture, tokens) = Setup(600);
        double[] net = LanguageModelEvaluator.TargetProbabilities(network, tokens);
        var decoder = new StreamingDecoder(network);
        var logits = new float[12];
        var work = new float[12];
        for (int i = 0; i < 250; i++)
        {
            decoder.Step(tokens[i], logits);
            Assert.Equal(Math.Exp(LanguageModelEvaluator.LogProbability(logits, 0, tokens[i + 1], work)), net[i], 5);
        }
        float[] ngram = mixture.Model.TargetProbabilities(tokens, adapt: true);
        double expected = net.Select((p, i) => -Math.Log(NGramMixture.Mix(p, ngram[i], mixture.Weight))).Average();
        Assert.Equal(expected, LanguageModelEvaluator.Evaluate(network, tokens, 1, mixture).Loss, 6);
        Assert.Equal(-net.Select(p => Math.Log(p)).Average(), LanguageModelEvaluator.Evaluate(network, tokens, 1).Loss, 5);
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens, 1).Loss,
            LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(mixture.Model, 0)).Loss, 12);
        // The n-gram model read the text and forgot it again.
        Assert.Equal(3000, mixture.Model.Tokens);
    }

    [Fact]
    public void DynamicAndStreamingEvaluation_WithAMixture_MixEveryTarget()
    {
        // With a step too small to change a weight, dynamic evaluation reads the text as one stream of the trained
        // network: its mixed score is the streaming path's, target by target.
        var (network, mixture, tokens) = Setup(300);
        LanguageModelScore streaming = LanguageModelEvaluator.EvaluateStreaming(network, tokens, 1, WeightPrecision.Float32, mixture);
        var still = new DynamicEvaluationOptions(learningRate: 1e-30f, decay: 0f, segmentLength: 40, clip: 0f);
        LanguageModelScore dynamic = DynamicEvaluation.Evaluate(network, tokens, 1, still, mixture: mixture);
        Assert.Equal(streaming.Loss, dynamic.Loss, 5);
        double[] net = LanguageModelEvaluator.TargetProbabilities(network, tokens);
        float[] ngram = mixture.Model.TargetProbabilities(tokens, adapt: true);
        Assert.Equal(net.Select((p, i) => -Math.Log(NGramMixture.Mix(p, ngram[i], mixture.Weight))).Average(), streaming.Loss, 5);
        Assert.True(streaming.Loss < LanguageModelEvaluator.EvaluateStreaming(network, tokens, 1, WeightPrecision.Float32).Loss);
    }

    [Fact]
    public void Fit_OfAnUntrainedNetwork_GivesTheNGramModelWeight_AndScoresBothWays()
    {
        var (network, mixture, tokens) = Setup(400);
        NGramFit fit = NGramMixture.Fit(network, mixture.Model, tokens, 1);
        Assert.InRange(fit.Weight, 0.05, 1);
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens, 1).Loss, fit.Before.Loss, 5);
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(mixture.Model, fit.Weight)).Loss, fit.After.Loss, 5);
        Assert.True(fit.After.Loss < fit.Before.Loss);
    }

    [Fact]
    public void Generate_FromTheNGramModelAlone_ContinuesTheTextItCounted()
    {
        // Weight 1: the mixture is the n-gram model, so greedy decoding after "ab" continues "abcabc…".
        var vocabulary = Recurrent.Data.Vocabulary.Build(Recurrent.Data.Tokenizers.Create(Recurrent.Data.TokenizerKind.Character).Split("abcdefgh"));
        var shape = new LanguageModelShape(vocabulary.Count, CellKind.Lstm, 8, 16, 1, 0f);
        var model = new LanguageModel(new LanguageModelConfig(Recurrent.Data.TokenizerKind.Character, vocabulary, shape), new LanguageModelNetwork(shape, new Rng(1)));
        var counts = new NGramModel(vocabulary.Count, 3);
        counts.Add(model.Encode(string.Concat(Enumerable.Repeat("abcdefgh", 20)), out _));
        model.NGram = new NGramMixture(counts, 1);
        Assert.Equal("cdefghab", string.Concat(TextGenerator.Generate(model, "ab", new SampleOptions(length: 8, temperature: 0))));
        Assert.NotEqual("cdefghab", string.Concat(TextGenerator.Generate(model, "ab", new SampleOptions(length: 8, temperature: 0), useNGram: false)));
        // Sampling from the mixture is reproducible.
        var sampled = new SampleOptions(length: 30, temperature: 1, seed: 4);
        Assert.Equal(string.Concat(TextGenerator.Generate(model, "ab", sampled)), string.Concat(TextGenerator.Generate(model, "ab", sampled)));
    }

    [Fact]
    public void Generate_AWordModel_PutsSpacesBetweenWordsAndNoneAroundNewlines()
    {
        // The n-gram model alone (weight 1), greedy: it recites the text it counted, which shows the joins.
        const string text = "the cat sat on the mat\nand the dog ran off\n";
        var tokenizer = Recurrent.Data.Tokenizers.Create(Recurrent.Data.TokenizerKind.Word);
        var vocabulary = Recurrent.Data.Vocabulary.Build(tokenizer.Split(text));
        var shape = new LanguageModelShape(vocabulary.Count, CellKind.Lstm, 8, 16, 1, 0f);
        var model = new LanguageModel(new LanguageModelConfig(Recurrent.Data.TokenizerKind.Word, vocabulary, shape), new LanguageModelNetwork(shape, new Rng(1)));
        var counts = new NGramModel(vocabulary.Count, 3);
        counts.Add(model.Encode(string.Concat(Enumerable.Repeat(text, 5)), out _));
        model.NGram = new NGramMixture(counts, 1);
        Assert.Equal(" sat on the mat\nand the", string.Concat(TextGenerator.Generate(model, "the cat", new SampleOptions(length: 7, temperature: 0))));
    }
}
