using System.Text;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks;

public sealed class ClassificationTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-cls-" + Guid.NewGuid().ToString("N"));

    public ClassificationTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Texts of filler words with "alpha" and "beta" inserted; the label says which comes first.</summary>
    internal static List<LabeledText> WordOrder(int n, int seed)
    {
        string[] filler = "the a of to and in is it that was for on with as by at from this be or".Split(' ');
        var rng = new Rng((ulong)seed);
        var examples = new List<LabeledText>();
        for (int k = 0; k < n; k++)
        {
            var words = Enumerable.Range(0, 6 + rng.NextInt(12)).Select(_ => filler[rng.NextInt(filler.Length)]).ToList();
            int i = rng.NextInt(words.Count + 1), j = rng.NextInt(words.Count + 2);
            bool alphaFirst = rng.NextInt(2) == 0;
            words.Insert(i, alphaFirst ? "alpha" : "beta");
            words.Insert(Math.Max(j, i + 1), alphaFirst ? "beta" : "alpha");
            examples.Add(new LabeledText(string.Join(' ', words), alphaFirst ? "ab" : "ba", $"synthetic:{k}"));
        }
        return examples;
    }

    private sealed class Quiet : ITrainingObserver
    {
        public void OnStep(TrainingProgress progress) { }
        public void OnEvaluation(EvaluationReport report) { }
        public void OnMessage(string message) { }
    }

    [Theory]
    [InlineData(Pooling.Max, false)]
    [InlineData(Pooling.Attention, true)]
    [InlineData(Pooling.Last, false)]
    public void Classifier_LearnsWordOrder_ToAtLeast99Percent(Pooling pooling, bool bidirectional)
    {
        var train = new LabeledData(WordOrder(2000, 1), 0, "train");
        var test = new LabeledData(WordOrder(400, 2), 0, "test");
        var tokenizer = new WordTokenizer();
        Vocabulary vocabulary = Vocabulary.Build(train.Examples.SelectMany(e => tokenizer.Split(e.Text)));
        var shape = new ClassifierShape(vocabulary.Count, 2, CellKind.Lstm, 16, 32, 1, bidirectional, 0f, pooling);
        var config = new ClassificationConfig(TokenizerKind.Word, false, vocabulary, ["ab", "ba"], 100, Truncation.Head, shape);
        var model = new Classifier(config, new ClassifierNetwork(shape, new Rng(3)));
        var task = new ClassificationTask(model, Cli.ClassifyTrainCommandAccess.Encode(config, train), Cli.ClassifyTrainCommandAccess.Encode(config, test), 32, false, 5);
        string dir = Path.Combine(_root, pooling.ToString());
        Directory.CreateDirectory(dir);
        new Trainer(task, new TrainOptions(epochs: 4, learningRate: 5e-3f, evalEvery: 1000), dir, new Quiet()).Run();
        var (metrics, _) = ClassificationTask.Score(model.Network, Cli.ClassifyTrainCommandAccess.Encode(config, test));
        Assert.True(metrics.Accuracy >= 0.99, $"{pooling}: accuracy {metrics.Accuracy:P1} on held-out texts; expected ≥ 99%");
    }

    [Fact]
    public void Metrics_MatchAHandComputedCase()
    {
        // true:      a a a b b c
        // predicted: a a b b c c
        var m = ClassificationMetrics.Compute([0, 0, 1, 1, 2, 2], [0, 0, 0, 1, 1, 2], 3);
        Assert.Equal(4.0 / 6, m.Accuracy, 10);
        Assert.Equal(1.0, m.PerClass[0].Precision, 10);
        Assert.Equal(2.0 / 3, m.PerClass[0].Recall, 10);
        Assert.Equal(0.5, m.PerClass[1].Precision, 10);
        Assert.Equal(0.5, m.PerClass[1].Recall, 10);
        Assert.Equal(0.5, m.PerClass[2].Precision, 10);
        Assert.Equal(1.0, m.PerClass[2].Recall, 10);
        double f1a = 2 * (2.0 / 3) / (1 + 2.0 / 3), f1b = 0.5, f1c = 2 * 0.5 / 1.5;
        Assert.Equal((f1a + f1b + f1c) / 3, m.MacroF1, 10);
        Assert.Equal([2, 1, 0], m.Confusion[0]);
        Assert.Equal([0, 1, 1], m.Confusion[1]);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void Reader_Csv_HandlesQuotesAndEmbeddedNewlines()
    {
        string path = Write("d.csv", "id,text,label\n1,\"hello, world\",pos\n2,\"two\nlines \"\"quoted\"\"\",neg\n");
        LabeledData data = ClassificationReader.Read(path);
        Assert.Equal(2, data.Examples.Count);
        Assert.Equal("hello, world", data.Examples[0].Text);
        Assert.Equal("two\nlines \"quoted\"", data.Examples[1].Text);
        Assert.Equal(["neg", "pos"], data.Labels);
    }

    [Fact]
    public void Reader_TsvWithCustomColumns()
    {
        string path = Write("d.tsv", "sentence\tsentiment\nThe food was really good\tpositive\nNot good\tnegative\n");
        LabeledData data = ClassificationReader.Read(path, "sentence", "sentiment");
        Assert.Equal("The food was really good", data.Examples[0].Text);
        Assert.Equal("positive", data.Examples[0].Label);
    }

    [Fact]
    public void Reader_JsonLines_AcceptsNumericLabels()
    {
        string path = Write("d.jsonl", "{\"text\": \"a\", \"label\": 1}\n\n{\"text\": \"b\", \"label\": \"x\"}\n");
        LabeledData data = ClassificationReader.Read(path);
        Assert.Equal(["1", "x"], data.Examples.Select(e => e.Label));
    }

    [Fact]
    public void Reader_FolderPerClass_DecodesInvalidUtf8LenientlyAndCountsIt()
    {
        string root = Path.Combine(_root, "mail");
        Directory.CreateDirectory(Path.Combine(root, "ham"));
        Directory.CreateDirectory(Path.Combine(root, "spam"));
        File.WriteAllText(Path.Combine(root, "ham", "1.txt"), "hello");
        File.WriteAllBytes(Path.Combine(root, "spam", "1.txt"), [(byte)'b', (byte)'u', (byte)'y', 0xFF]);
        LabeledData data = ClassificationReader.Read(root);
        Assert.Equal(2, data.Examples.Count);
        Assert.Equal(1, data.InvalidUtf8Files);
        Assert.Equal("buy\uFFFD", data.Examples[1].Text);
    }

    [Theory]
    [InlineData("d.csv", "text,lbl\nx,y\n", "no 'label' column")]
    [InlineData("d.jsonl", "{\"text\": \"a\"}\n", "line 1")]
    [InlineData("d.jsonl", "not json\n", "line 1 is not valid JSON")]
    [InlineData("d.csv", "text,label\n", "no examples")]
    [InlineData("d.xml", "<a/>", "unknown format")]
    public void Reader_BadInput_NamesTheFileAndProblem(string name, string content, string expected)
    {
        string path = Write(name, content);
        var e = Assert.Throws<RecurrentDataException>(() => ClassificationReader.Read(path));
        Assert.Contains(name, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void StratifiedSplit_HoldsOutEachClass()
    {
        string[] labels = [.. Enumerable.Repeat("ham", 90), .. Enumerable.Repeat("spam", 10)];
        var (keep, held) = StratifiedSplit.Split(labels, 0.1, 7);
        Assert.Equal(100, keep.Length + held.Length);
        Assert.Equal(9, held.Count(i => labels[i] == "ham"));
        Assert.Equal(1, held.Count(i => labels[i] == "spam"));
        Assert.Equal(held, StratifiedSplit.Split(labels, 0.1, 7).HeldOut);
    }

    private sealed class StopAt(int step, CancellationTokenSource source) : ITrainingObserver
    {
        public void OnStep(TrainingProgress progress)
        {
            if (progress.Step == step) source.Cancel();
        }
        public void OnEvaluation(EvaluationReport report) { }
        public void OnMessage(string message) { }
    }

    [Fact]
    public void Resume_AfterStop_ReproducesTheUninterruptedRun()
    {
        var train = new LabeledData(WordOrder(300, 1), 0, "train");
        var valid = new LabeledData(WordOrder(60, 2), 0, "valid");
        var tokenizer = new WordTokenizer();
        Vocabulary vocabulary = Vocabulary.Build(train.Examples.SelectMany(e => tokenizer.Split(e.Text)));
        var shape = new ClassifierShape(vocabulary.Count, 2, CellKind.Gru, 8, 12, 1, true, 0.2f, Pooling.Attention);
        var config = new ClassificationConfig(TokenizerKind.Word, false, vocabulary, ["ab", "ba"], 100, Truncation.Head, shape);
        ClassificationTask NewTask(ulong init) => new(new Classifier(config, new ClassifierNetwork(shape, new Rng(init))),
            Cli.ClassifyTrainCommandAccess.Encode(config, train), Cli.ClassifyTrainCommandAccess.Encode(config, valid), 16, true, 5);
        var options = new TrainOptions(steps: 40, evalEvery: 10, logEvery: 5);
        string whole = Path.Combine(_root, "whole"), parts = Path.Combine(_root, "parts");
        Directory.CreateDirectory(whole);
        Directory.CreateDirectory(parts);
        new Trainer(NewTask(3), options, whole, new Quiet()).Run();
        using var stop = new CancellationTokenSource();
        new Trainer(NewTask(3), options, parts, new StopAt(23, stop)).Run(stop.Token);
        var resumed = new Trainer(NewTask(99), options, parts, new Quiet());
        resumed.Resume();
        resumed.Run();
        static string[] Lines(string dir) => File.ReadAllLines(Path.Combine(dir, RunFiles.Metrics))
            .Select(l => { var o = System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject(); o.Remove("tokens_per_s"); o.Remove("elapsed_s"); return o.ToJsonString(); }).ToArray();
        Assert.Equal(Lines(whole), Lines(parts));
    }
}
