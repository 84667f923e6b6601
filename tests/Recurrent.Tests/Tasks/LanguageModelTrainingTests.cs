using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks;

public sealed class LanguageModelTrainingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-lm-" + Guid.NewGuid().ToString("N"));

    public LanguageModelTrainingTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    internal const string Corpus =
        "the cat sat on the mat. the dog sat on the log. a cat and a dog sat on a mat and a log.\n" +
        "the whale swam in the sea. the ship sailed on the sea. a whale and a ship met on the sea.\n";

    internal sealed class Recorder(Action<TrainingProgress>? onStep = null) : ITrainingObserver
    {
        public readonly List<EvaluationReport> Evaluations = new();
        public void OnStep(TrainingProgress progress) => onStep?.Invoke(progress);
        public void OnEvaluation(EvaluationReport report) => Evaluations.Add(report);
        public void OnMessage(string message) { }
    }

    private static (LanguageModel Model, LanguageModelTask Task) Build(CellKind cell, int layers, float dropout, int bptt = 12, int? bpttBack = null, ulong seed = 5, float? embeddingDropout = null)
    {
        string text = string.Concat(Enumerable.Repeat(Corpus, 8));
        var tokenizer = new CharacterTokenizer();
        Vocabulary vocabulary = Vocabulary.Build(tokenizer.Split(text));
        var shape = new LanguageModelShape(vocabulary.Count, cell, 16, 32, layers, dropout, EmbeddingDropout: embeddingDropout);
        var model = new LanguageModel(new LanguageModelConfig(TokenizerKind.Character, vocabulary, shape), new LanguageModelNetwork(shape, new Rng(seed)));
        int[] ids = model.Encode(text, out _);
        int cut = ids.Length * 9 / 10;
        var task = new LanguageModelTask(model, ids[..cut], ids[cut..], 1.0, new LanguageModelTrainingSettings(4, bptt, bpttBack, sampleLength: 20));
        return (model, task);
    }

    private string Run(string name, TrainOptions options, (LanguageModel, LanguageModelTask) built, Action<Trainer>? before = null, CancellationToken cancel = default, ITrainingObserver? observer = null)
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        RunFiles.WriteJsonAtomic(Path.Combine(dir, RunFiles.Config), built.Item1.Config.ToJson());
        var trainer = new Trainer(built.Item2, options, dir, observer ?? new Recorder());
        before?.Invoke(trainer);
        trainer.Run(cancel);
        return dir;
    }

    private static List<string> Metrics(string dir) =>
        File.ReadAllLines(Path.Combine(dir, RunFiles.Metrics)).Select(line =>
        {
            var o = JsonNode.Parse(line)!.AsObject();
            o.Remove("tokens_per_s");
            o.Remove("elapsed_s");
            return o.ToJsonString();
        }).ToList();

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.LayerNormLstm)]
    public void InitializeForText_StartsFromTheUnigramDistribution(CellKind cell)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(8, cell, 3, 5, 2, 0f), new Rng(3));
        float[] rnnBiasBefore = network.Rnn.BiasIh(1).Value.Span.ToArray();
        int[] ids = [4, 4, 4, 5, 5, 6, 7, 4];                      // counts 4: 4, 5: 2, 6: 1, 7: 1; the others 0
        network.InitializeForText(ids);
        // softmax(bias) is the add-one smoothed unigram distribution: (count + 1) / (8 + 8).
        float[] bias = network.Decoder.Bias!.Value.Span.ToArray();
        double sum = bias.Sum(b => Math.Exp(b));
        double[] expected = [1, 1, 1, 1, 5, 3, 2, 2];
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i] / 16, Math.Exp(bias[i]) / sum, 6);
        Assert.Equal(1.0, sum, 6);
        if (cell.HasCellState())
            for (int layer = 0; layer < 2; layer++)
            {
                Assert.All(network.Rnn.BiasIh(layer).Value.Span.Slice(5, 5).ToArray(), b => Assert.Equal(1f, b));   // forget rows
                Assert.All(network.Rnn.BiasHh(layer).Value.Span.Slice(5, 5).ToArray(), b => Assert.Equal(0f, b));
                Assert.NotEqual(1f, network.Rnn.BiasIh(layer).Value.Span[0]);                                       // input gate untouched
            }
        else Assert.Equal(rnnBiasBefore, network.Rnn.BiasIh(1).Value.Span.ToArray());
    }

    [Fact]
    public void Training_OnTinyCorpus_LowersTheValidationLoss()
    {
        var recorder = new Recorder();
        var options = new TrainOptions(steps: 150, learningRate: 1e-2f, evalEvery: 25);
        Run("falls", options, Build(CellKind.Lstm, 1, 0f), observer: recorder);
        double first = recorder.Evaluations[0].Metrics["loss"], last = recorder.Evaluations[^1].Metrics["loss"];
        Assert.True(last < 0.6 * first, $"validation loss went from {first:F3} to {last:F3}; expected a fall of at least 40%");
        Assert.True(last < 1.5, $"validation loss {last:F3} nats/char; a repetitive text should be learned below 1.5");
    }

    [Fact]
    public void Config_EmbeddingDropout_RoundTrips_AndDefaultsToTheDropoutOfOlderConfigs()
    {
        var vocabulary = Vocabulary.Build(new CharacterTokenizer().Split("abc abc"));
        var shape = new LanguageModelShape(vocabulary.Count, CellKind.Lstm, 4, 8, 2, 0.25f, EmbeddingDropout: 0f);
        JsonObject json = new LanguageModelConfig(TokenizerKind.Character, vocabulary, shape).ToJson();
        LanguageModelShape read = LanguageModelConfig.FromJson(json, "config.json").Shape;
        Assert.Equal(0f, read.InputDropout);
        Assert.Equal(0.25f, read.Dropout);
        json["model"]!.AsObject().Remove("embedding_dropout");   // written before the option existed
        Assert.Equal(0.25f, LanguageModelConfig.FromJson(json, "config.json").Shape.InputDropout);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 12, null, null)]
    [InlineData(CellKind.Gru, 8, 20, null)]
    [InlineData(CellKind.Lstm, 12, null, 0f)]   // no dropout on the embeddings: training reads the table through layer 0
    [InlineData(CellKind.LayerNormLstm, 12, null, null)]
    [InlineData(CellKind.LayerNormLstm, 10, 16, 0f)]
    public void Resume_AfterStop_ReportsTheSameMetricsAsAnUninterruptedRun(CellKind cell, int bptt, int? bpttBack, float? embeddingDropout)
    {
        var options = new TrainOptions(steps: 40, evalEvery: 10, logEvery: 5);
        string whole = Run("whole", options, Build(cell, 2, 0.2f, bptt, bpttBack, embeddingDropout: embeddingDropout));

        using var stop = new CancellationTokenSource();
        string parts = Run("parts", options, Build(cell, 2, 0.2f, bptt, bpttBack, embeddingDropout: embeddingDropout), cancel: stop.Token,
            observer: new Recorder(p => { if (p.Step == 17) stop.Cancel(); }));
        var built = Build(cell, 2, 0.2f, bptt, bpttBack, seed: 999, embeddingDropout: embeddingDropout); // different init: everything must come from the checkpoint
        var trainer = new Trainer(built.Task, options, parts, new Recorder());
        trainer.Resume();
        trainer.Run();

        Assert.Equal(Metrics(whole), Metrics(parts));
        Assert.Equal(File.ReadAllBytes(Path.Combine(whole, RunFiles.Model)), File.ReadAllBytes(Path.Combine(parts, RunFiles.Model)));
    }

    [Fact]
    public void Resume_IgnoresLeftoversOfAKilledWrite()
    {
        var options = new TrainOptions(steps: 20, evalEvery: 10);
        string dir = Run("killed", options, Build(CellKind.Lstm, 1, 0f));
        // A kill during the next checkpoint leaves a temporary file and an unreferenced newer checkpoint.
        File.WriteAllText(Path.Combine(dir, ".trainer.json.tmp-1-abc"), "{ half");
        File.WriteAllText(Path.Combine(dir, "checkpoint-0000030.safetensors"), "garbage");
        var trainer = new Trainer(Build(CellKind.Lstm, 1, 0f).Task, new TrainOptions(steps: 30, evalEvery: 10), dir, new Recorder());
        trainer.Resume();
        TrainingSummary summary = trainer.Run();
        Assert.Equal(30, summary.Steps);
    }

    [Fact]
    public void Divergence_StopsWithAClearMessage_AndKeepsTheLastCheckpoint()
    {
        string dir = Path.Combine(_root, "diverge");
        var built = Build(CellKind.RnnRelu, 1, 0f);
        Directory.CreateDirectory(dir);
        new Trainer(built.Task, new TrainOptions(steps: 10, evalEvery: 10), dir, new Recorder()).Run();
        byte[] before = File.ReadAllBytes(Path.Combine(dir, RunFiles.Trainer));
        var trainer = new Trainer(built.Task, new TrainOptions(steps: 200, evalEvery: 50, learningRate: 1e4f, clip: 0f), dir, new Recorder());
        trainer.Resume();
        var e = Assert.Throws<TrainingFailedException>(() => trainer.Run());
        Assert.Contains("diverged", e.Message);
        Assert.Contains("step 10", e.Message);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(dir, RunFiles.Trainer)));
    }

    [Fact]
    public void Sampling_SameSeed_GivesTheSameText()
    {
        var (model, _) = Build(CellKind.Gru, 1, 0f);
        string a = string.Concat(TextGenerator.Generate(model, "the ", new SampleOptions(60, 1f, seed: 7)));
        string b = string.Concat(TextGenerator.Generate(model, "the ", new SampleOptions(60, 1f, seed: 7)));
        string c = string.Concat(TextGenerator.Generate(model, "the ", new SampleOptions(60, 1f, seed: 8)));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(60, a.EnumerateRunes().Count());
        string greedy1 = string.Concat(TextGenerator.Generate(model, "the ", new SampleOptions(30, 0f, seed: 1)));
        string greedy2 = string.Concat(TextGenerator.Generate(model, "the ", new SampleOptions(30, 0f, seed: 2)));
        Assert.Equal(greedy1, greedy2);
    }

    [Fact]
    public void Pick_TopKAndTopP_RestrictTheChoice()
    {
        float[] logits = [0, 0, 0, 0, 5f, 4f, 1f, -3f];
        var probabilities = new float[8];
        var order = new int[8];
        var keys = new float[8];
        var rng = new Rng(3);
        for (int i = 0; i < 200; i++)
        {
            Assert.InRange(TextGenerator.Pick((float[])logits.Clone(), new SampleOptions(topK: 2, temperature: 1f), rng, probabilities, order, keys), 4, 5);
            Assert.Equal(4, TextGenerator.Pick((float[])logits.Clone(), new SampleOptions(topP: 0.5f, temperature: 1f), rng, probabilities, order, keys));
        }
        Assert.Equal(4, TextGenerator.Pick((float[])logits.Clone(), new SampleOptions(temperature: 0f), rng, probabilities, order, keys));
    }
}
