using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Interop;
using Recurrent.Training;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

/// <summary>The product mixture q(c) ∝ p_network(c)^α · p_ngram(c)^β · p_lin(c)^γ (NGramMixture's file header).</summary>
public sealed class ProductMixtureTests
{
    private const int V = 12;

    private static int[] RandomTokens(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => (int)(Math.Pow(rng.NextFloat(), 2) * V)).ToArray();
    }

    private static (LanguageModelNetwork Network, NGramModel Counts, int[] Tokens) Setup(int targets)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(V, CellKind.Lstm, 8, 16, 1, 0f), new Rng(3));
        var counts = new NGramModel(V, 4);
        counts.Add(RandomTokens(3000, 10));
        return (network, counts, RandomTokens(targets + 1, 11));
    }

    /// <summary>The product's mean −log q of the targets, written plainly from both models' whole distributions.</summary>
    private static double ReferenceLoss(LanguageModelNetwork network, NGramModel counts, int[] tokens, double w, MixtureExponents e)
    {
        float[] net = LanguageModelEvaluator.LogProbabilities(network, tokens);
        // The n-gram model's distribution before each target, learning each target after predicting it, then forgetting.
        var ngram = new float[net.Length];
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            counts.Distribution(tokens.AsSpan(0, i + 1), ngram.AsSpan(i * V, V));
            counts.Observe(tokens.AsSpan(0, i + 1), tokens[i + 1]);
        }
        for (int i = 0; i + 1 < tokens.Length; i++) counts.Forget(tokens.AsSpan(0, i + 1), tokens[i + 1]);
        double total = 0;
        int n = tokens.Length - 1;
        for (int i = 0; i < n; i++)
        {
            var z = new double[V];
            for (int c = 0; c < V; c++)
            {
                double pn = Math.Exp(net[i * V + c]), pg = ngram[i * V + c];
                z[c] = e.Network * Math.Log(pn) + e.NGram * Math.Log(pg) + e.Linear * Math.Log((1 - w) * pn + w * pg);
            }
            double logZ = Math.Log(z.Sum(Math.Exp));
            total -= z[tokens[i + 1]] - logZ;
        }
        return total / n;
    }

    [Fact]
    public void Evaluate_AProductOnOneToken_IsRefusedLikeThePlainScore()
    {
        // One token has no target: the product's blocks read nothing, and 0 targets must not score NaN.
        var (network, counts, _) = Setup(10);
        var mixture = new NGramMixture(counts, 0.3, new MixtureExponents(0.4, 0.2, 0.7));
        Assert.Throws<RecurrentDataException>(() => LanguageModelEvaluator.Evaluate(network, [3], 1, mixture));
        Assert.Throws<RecurrentDataException>(() => LanguageModelEvaluator.Evaluate(network, [3], 1));
    }

    [Fact]
    public void Evaluate_AProduct_ScoresEachTargetByTheNormalisedProduct()
    {
        // 600 targets: two streams, and the n-gram model learning from the text as it is read.
        var (network, counts, tokens) = Setup(600);
        var e = new MixtureExponents(0.4, 0.2, 0.7);
        var mixture = new NGramMixture(counts, 0.3, e);
        Assert.Equal(ReferenceLoss(network, counts, tokens, 0.3, e), LanguageModelEvaluator.Evaluate(network, tokens, 1, mixture).Loss, 6);
        // The n-gram model read the text and forgot it again.
        Assert.Equal(3000, counts.Tokens);
    }

    [Fact]
    public void Evaluate_AProductOfTheLinearMixtureAlone_IsTheLinearMixture()
    {
        var (network, counts, tokens) = Setup(600);
        double linear = LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(counts, 0.3)).Loss;
        Assert.Equal(linear, LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(counts, 0.3, MixtureExponents.LinearOnly)).Loss, 6);
        // (1, 0, 0) is the network alone, whatever the weight.
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens, 1).Loss,
            LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(counts, 0.3, new MixtureExponents(1, 0, 0))).Loss, 6);
    }

    [Fact]
    public void Evaluate_InBlocks_ScoresEveryTargetOnce_AndNearlyAsInOne()
    {
        // Blocks of 150 targets: each read as a text of its own whose streams start warm. The n-gram model's part is
        // exact in any blocking; the network's differs only in how warm each stream's state is.
        var (network, counts, tokens) = Setup(700);
        var mixture = new NGramMixture(counts, 0.3, new MixtureExponents(0.4, 0.2, 0.7));
        LanguageModelScore whole = LanguageModelEvaluator.Evaluate(network, tokens, 1, mixture);
        LanguageModelScore blocks = LanguageModelEvaluator.EvaluateInBlocks(network, tokens, 1, mixture, blockTargets: 150);
        Assert.Equal(700, blocks.Tokens);
        Assert.Equal(whole.Loss, blocks.Loss, 2);
        Assert.Equal(3000, counts.Tokens);
        // Blocks shorter than the warm-up: each block's text starts at the first token, so its one stream reads
        // the text as one and every target is scored as without blocks.
        LanguageModelScore small = LanguageModelEvaluator.EvaluateInBlocks(network, tokens[..41], 1, mixture, blockTargets: 7);
        Assert.Equal(40, small.Tokens);
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens[..41], 1, mixture).Loss, small.Loss, 5);
    }

    [Fact]
    public void DynamicAndStreamingEvaluation_WithAProduct_MatchTheReference()
    {
        var (network, counts, tokens) = Setup(300);
        var e = new MixtureExponents(0.4, 0.2, 0.7);
        var mixture = new NGramMixture(counts, 0.3, e);
        LanguageModelScore streaming = LanguageModelEvaluator.EvaluateStreaming(network, tokens, 1, WeightPrecision.Float32, mixture);
        var still = new DynamicEvaluationOptions(learningRate: 1e-30f, decay: 0f, segmentLength: 40, clip: 0f);
        LanguageModelScore dynamic = DynamicEvaluation.Evaluate(network, tokens, 1, still, mixture: mixture);
        // 300 targets are one stream, so the batched reference reads them as the streaming path does.
        Assert.Equal(ReferenceLoss(network, counts, tokens, 0.3, e), streaming.Loss, 5);
        Assert.Equal(streaming.Loss, dynamic.Loss, 5);
    }

    [Fact]
    public void Fit_WithAProduct_BeatsTheLinearMixtureOnTheFittedText_AndScoresAsEvaluateDoes()
    {
        var (network, counts, tokens) = Setup(500);
        NGramFit linear = NGramMixture.Fit(network, counts, tokens, 1);
        NGramFit fit = NGramMixture.Fit(network, counts, tokens, 1, product: true);
        Assert.Null(linear.Exponents);
        Assert.NotNull(fit.Exponents);
        Assert.Equal(linear.Weight, fit.Weight);
        Assert.Equal(linear.After.Loss, fit.Linear!.Loss, 9);
        Assert.True(fit.After.Loss < fit.Linear.Loss - 1e-4, $"product {fit.After.Loss} against linear {fit.Linear.Loss}");
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(counts, fit.Weight, fit.Exponents)).Loss, fit.After.Loss, 6);
        // The fit is a maximum: moving any exponent a little makes the fitted text's loss worse.
        var e = fit.Exponents!;
        foreach (var moved in new[] { e with { Network = e.Network + 0.05 }, e with { NGram = e.NGram - 0.05 }, e with { Linear = e.Linear + 0.05 } })
            Assert.True(LanguageModelEvaluator.Evaluate(network, tokens, 1, new NGramMixture(counts, fit.Weight, moved)).Loss > fit.After.Loss);
    }

    [Fact]
    public void MixLogits_OfAProduct_GivesTheProductsLogProbabilities()
    {
        var (network, counts, tokens) = Setup(10);
        var e = new MixtureExponents(0.4, 0.2, 0.7);
        var mixture = new NGramMixture(counts, 0.3, e);
        var logits = new float[V];
        new StreamingDecoder(network).Step(tokens[0], logits);
        var ngram = new float[V];
        counts.Distribution(tokens.AsSpan(0, 1), ngram);
        var mixed = (float[])logits.Clone();
        mixture.MixLogits(mixed, ngram, new float[V]);
        double max = mixed.Max(), logZ = max + Math.Log(mixed.Sum(x => Math.Exp(x - max)));
        var work = new double[V];
        for (int c = 0; c < V; c++)
            Assert.Equal(mixture.ProductNats(logits, ngram, c, work), logZ - mixed[c], 5);
    }

    [Fact]
    public void Exponents_ThatAreNotFinite_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramMixture(new NGramModel(3, 1), 0.2, new MixtureExponents(double.NaN, 0, 1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NGramMixture(new NGramModel(3, 1), 0.2, new MixtureExponents(0, double.PositiveInfinity, 1)));
    }

    [Fact]
    public void AModelFolder_KeepsTheProduct_AndABrokenEntryIsAClearError()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rnn-product-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            const string text = "the cat sat on the mat and the dog ran off to the barn. ";
            var vocabulary = Vocabulary.Build(Tokenizers.Create(TokenizerKind.Character).Split(text));
            var shape = new LanguageModelShape(vocabulary.Count, CellKind.Lstm, 8, 16, 1, 0f);
            var model = new LanguageModel(new LanguageModelConfig(TokenizerKind.Character, vocabulary, shape), new LanguageModelNetwork(shape, new Rng(1)));
            RunFiles.WriteJsonAtomic(Path.Combine(dir, RunFiles.Config), model.Config.ToJson());
            SafeTensors.Write(Path.Combine(dir, RunFiles.Model), model.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
            NGramFit fit = model.AttachNGramInFolder(dir, string.Concat(Enumerable.Repeat(text, 20)), 4, string.Concat(Enumerable.Repeat(text, 4)));
            Assert.NotNull(fit.Exponents);
            LanguageModel loaded = LanguageModel.Load(dir);
            Assert.Equal(fit.Exponents, loaded.NGram!.Exponents);
            Assert.Equal(model.NGram!.Weight, loaded.NGram.Weight);
            Assert.Equal(NGramSmoothing.KneserNey, loaded.NGram.Model.Smoothing);

            // A folder saved before the smoothing was recorded was fitted with Witten-Bell, and loads with it.
            string configPath = Path.Combine(dir, "config.json");
            JsonObject config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
            Assert.Equal("kneser-ney", config["ngram"]!["smoothing"]!.GetValue<string>());
            config["ngram"]!.AsObject().Remove("smoothing");
            File.WriteAllText(configPath, config.ToJsonString());
            Assert.Equal(NGramSmoothing.WittenBell, LanguageModel.Load(dir).NGram!.Model.Smoothing);
            config["ngram"]!["smoothing"] = "good-turing";
            File.WriteAllText(configPath, config.ToJsonString());
            var unknown = Assert.Throws<RecurrentDataException>(() => LanguageModel.Load(dir));
            Assert.Contains("config.json", unknown.Message);
            Assert.Contains("\"smoothing\"", unknown.Message);
            Assert.Contains("kneser-ney", unknown.Message);

            config["ngram"]!["smoothing"] = "kneser-ney";
            config["ngram"]!["product"]!["linear"] = "much";
            File.WriteAllText(configPath, config.ToJsonString());
            var error = Assert.Throws<RecurrentDataException>(() => LanguageModel.Load(dir));
            Assert.Contains("config.json", error.Message);
            Assert.Contains("\"product\"", error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
