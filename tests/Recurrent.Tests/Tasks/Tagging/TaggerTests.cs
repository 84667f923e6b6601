using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Tagging;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks.Tagging;

public sealed class TaggerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-tag-" + Guid.NewGuid().ToString("N"));

    public TaggerTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// Random words from a small set; a word is tagged B-N when the NEXT word is "a" (so only the backward
    /// direction can see it) and I-N when it continues such a run, else O.
    /// </summary>
    internal static List<TaggedSequence> NextWordTask(int n, int seed)
    {
        string[] words = ["a", "bb", "cc", "dd", "ee"];
        var rng = new Rng((ulong)seed);
        var result = new List<TaggedSequence>();
        for (int k = 0; k < n; k++)
        {
            string[] tokens = Enumerable.Range(0, 4 + rng.NextInt(8)).Select(_ => words[rng.NextInt(words.Length)]).ToArray();
            var tags = new string[tokens.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                bool marked = i + 1 < tokens.Length && tokens[i + 1] == "a";
                tags[i] = !marked ? "O" : i > 0 && tags[i - 1] != "O" ? "I-N" : "B-N";
            }
            result.Add(new TaggedSequence(tokens, tags, $"synthetic:{k}"));
        }
        return result;
    }

    private static TaggingConfig Config(IReadOnlyList<TaggedSequence> data, TokenRepresentation representation, int hidden, int layers = 1)
    {
        Vocabulary words = Vocabulary.Build(data.SelectMany(s => s.Tokens));
        Vocabulary chars = Vocabulary.Build(data.SelectMany(s => s.Tokens).SelectMany(t => t.Select(c => c.ToString())));
        string[] tags = data.SelectMany(s => s.Tags!).Distinct().Order(StringComparer.Ordinal).ToArray();
        var shape = new TaggerShape(words.Count, chars.Count, tags.Length, representation, CellKind.Lstm, 6, 4, 3, hidden, layers, true, 0f);
        return new TaggingConfig(words, chars, tags, false, TaggingConfig.LooksRaw(tags), shape);
    }

    private sealed class Quiet : ITrainingObserver
    {
        public void OnStep(TrainingProgress progress) { }
        public void OnEvaluation(EvaluationReport report) { }
        public void OnMessage(string message) { }
    }

    [Theory]
    [InlineData(TokenRepresentation.Word, 2)]
    [InlineData(TokenRepresentation.Both, 1)]
    public void TaggerLoss_Backward_MatchesFiniteDifferences(TokenRepresentation representation, int layers)
    {
        var data = NextWordTask(3, 4);
        TaggingConfig config = Config(data, representation, hidden: 3, layers: layers);
        var network = new TaggerNetwork(config.Shape, new Rng(9));
        var batch = TaggingBatches.Build(data.Select(config.Encode).ToArray(), [0, 1], config.Shape.UsesCharacters);
        Assert.Contains(batch.Input.Lengths, l => l < batch.Input.Steps); // padding is exercised
        GradCheck.Assert(tape => tape.CrossEntropy(network.Forward(tape, batch.Input, null), batch.Targets, TaggingBatches.IgnoreIndex),
            network.Parameters().Cast<Variable>().ToArray(), 1e-2);
    }

    [Fact]
    public void ParameterNames_FollowPyTorch()
    {
        TaggingConfig config = Config(NextWordTask(3, 4), TokenRepresentation.Both, hidden: 3);
        string[] names = new TaggerNetwork(config.Shape, new Rng(1)).NamedParameters().Select(p => p.Name).ToArray();
        Assert.Contains("embedding.weight", names);
        Assert.Contains("char_embedding.weight", names);
        Assert.Contains("char_rnn.weight_hh_l0_reverse", names);
        Assert.Contains("rnn.weight_ih_l0_reverse", names);
        Assert.Contains("classifier.bias", names);
    }

    [Fact]
    public void Tagger_LearnsTagsThatDependOnTheNextWord()
    {
        var train = NextWordTask(600, 1);
        var test = NextWordTask(200, 2);
        TaggingConfig config = Config(train, TokenRepresentation.Word, hidden: 16);
        var model = new Tagger(config, new TaggerNetwork(config.Shape, new Rng(3)));
        var encodedTest = test.Select(config.Encode).ToArray();
        var task = new TaggingTask(model, train.Select(config.Encode).ToArray(), encodedTest, 16, 5);
        new Trainer(task, new TrainOptions(epochs: 4, learningRate: 1e-2f, evalEvery: 1000), _root, new Quiet()).Run();
        var (metrics, _) = Tagger.Score(model.Network, config, encodedTest);
        Assert.True(metrics.F1 >= 0.98, $"span F1 {metrics.F1:F3} on held-out sequences; expected ≥ 0.98");
    }
}
