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

    private static int[] RandomTokens(int count, int v, ulong seed)
    {
        var rng = new Rng(seed);
        // Skewed draws so that contexts repeat and every order gets counts.
        return Enumerable.Range(0, count).Select(_ => (int)(Math.Pow(rng.NextFloat(), 2) * v)).ToArray();
    }

    [Theory]
    [InlineData(5, 1)]
    [InlineData(5, 3)]
    [InlineData(12, 6)]
    public void Probability_MatchesAPlainWittenBellReference(int v, int order)
    {
        int[] text = RandomTokens(3000, v, 7);
        var model = new NGramModel(v, order);
        var reference = new ReferenceWittenBell(v, order);
        model.Add(text);
        reference.Add(text);
        int[] probe = RandomTokens(300, v, 8);
        for (int i = 0; i < probe.Length; i++)
            for (int c = 0; c < v; c++)
                Assert.Equal(reference.Probability(probe[..i], c), model.Probability(probe[..i], c), 12);
    }

    [Fact]
    public void Probability_OfABigramModel_IsWhatTheFormulaGives()
    {
        // Text 0 1 0 1 0 2, V = 3, order 1.
        // Empty context: C = (3, 2, 1), T = 6, U = 3 → p₀(c) = (C(c) + 3·⅓) / 9 = (4, 3, 2) / 9.
        // After 0: 1 twice, 2 once → T = 3, U = 2 → p(1 | 0) = (2 + 2·3/9) / 5 = 8/15.
        var model = new NGramModel(3, 1);
        model.Add([0, 1, 0, 1, 0, 2]);
        Assert.Equal(4.0 / 9, model.Probability([], 0), 12);
        Assert.Equal(2.0 / 9, model.Probability([], 2), 12);
        Assert.Equal(8.0 / 15, model.Probability([0], 1), 12);
        Assert.Equal((0 + 2 * 4.0 / 9) / 5, model.Probability([0], 0), 12);
        Assert.Equal(6, model.Tokens);
        // A context never seen falls back to the empty context's estimate; an empty model is uniform.
        Assert.Equal(4.0 / 9, model.Probability([2], 0), 12);
        Assert.Equal(1.0 / 3, new NGramModel(3, 4).Probability([0, 1], 2), 12);
    }

    [Fact]
    public void Distribution_SumsToOne_AndAgreesWithProbability()
    {
        int v = 9;
        var model = new NGramModel(v, 4);
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

    [Fact]
    public void TargetProbabilities_Adaptive_LearnsFromTheTextAndLeavesTheModelAsItWas()
    {
        int v = 30;
        var model = new NGramModel(v, 5);
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
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(5, NGramModel.MaxOrder + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramModel(0, 3));
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
