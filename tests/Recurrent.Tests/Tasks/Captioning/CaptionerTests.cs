using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Captioning;
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks.Captioning;

public sealed class CaptionerTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-cap-" + Guid.NewGuid().ToString("N"));

    public CaptionerTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private sealed class Quiet : ITrainingObserver
    {
        public void OnStep(TrainingProgress progress) { }
        public void OnEvaluation(EvaluationReport report) { }
        public void OnMessage(string message) { }
    }

    [Theory]
    [InlineData(AttentionKind.None, 2)]
    [InlineData(AttentionKind.Bahdanau, 1)]
    [InlineData(AttentionKind.LuongGeneral, 1)]
    public void CaptionLoss_Backward_MatchesFiniteDifferences(AttentionKind attention, int layers)
    {
        var shape = new CaptionShape(7, 3, 2, CellKind.Lstm, 3, 3, layers, attention, 3, 0f);
        var network = new CaptionNetwork(shape, new Rng(5));
        var features = new float[2 * 3 * 2];
        new Rng(6).FillUniform(features, -1f, 1f);
        int[] inputs = [Vocabulary.BosId, Vocabulary.BosId, 4, 5, 6, Vocabulary.PadId];   // [T=3, B=2]
        int[] targets = [4, 5, 6, Vocabulary.EosId, Vocabulary.EosId, -100];
        GradCheck.Assert(tape => tape.CrossEntropy(network.Forward(tape, features, inputs, 3, 2, [3, 2], null), targets),
            network.Parameters().Cast<Variable>().ToArray(), 1e-2);
    }

    [Fact]
    public void StepDecoder_MatchesTeacherForcedForward()
    {
        // Greedy decoding's first two steps through the shared decoder see the same log-probabilities as the
        // teacher-forced pass on the words it chose.
        var shape = new CaptionShape(8, 4, 3, CellKind.Gru, 5, 6, 1, AttentionKind.Bahdanau, 4, 0f);
        var network = new CaptionNetwork(shape, new Rng(2));
        var features = new float[4 * 3];
        new Rng(3).FillUniform(features, -1f, 1f);
        using var decoder = new CaptionStepDecoder(network);
        var state = decoder.Start(features, 1);
        var first = decoder.Step([Vocabulary.BosId], state);
        int word = 4 + (int)TensorPrimitivesArgMax(first.LogProbabilities.Span[4..]);
        var second = decoder.Step([word], decoder.Select(first.State, [0]));
        using var tape = new Tape { Training = false };
        Variable logits = network.Forward(tape, features, [Vocabulary.BosId, word], 2, 1, [2], null);
        var expected = new float[2 * 8];
        Softmax.LogRows(logits.Value.Span, expected, 2, 8);
        for (int v = 0; v < 8; v++)
        {
            Assert.Equal(expected[v], first.LogProbabilities.Span[v], 5);
            Assert.Equal(expected[8 + v], second.LogProbabilities.Span[v], 5);
        }
        Assert.NotNull(second.Attention);
        Assert.Equal(1f, second.Attention!.Span.ToArray().Sum(), 5);
    }

    private static long TensorPrimitivesArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Features that name the scene's parts (one-hot colour and shape of A and B, and the relation), with noise.</summary>
    private static float[] Symbolic(ShapesScene s, Rng rng)
    {
        var f = new float[2 * 8];
        int c = ShapesScene.Colors.Length;
        f[s.ColorA] = 1;
        f[c + s.ShapeA] = 1;
        f[8 + s.ColorB] = 1;
        f[8 + c + s.ShapeB] = 1;
        f[7] = s.Vertical ? 1 : 0;
        for (int i = 0; i < f.Length; i++) f[i] += 0.1f * (rng.NextFloat() - 0.5f);
        return f;
    }

    /// <summary>Trained on one caption per scene (A's side), scored against both references.</summary>
    [Fact]
    public void Captioner_LearnsToCaptionPairsNeverSeenTogether()
    {
        var rng = new Rng(11);
        var heldOut = ShapesScene.HeldOutPairs(1);
        var features = new Dictionary<string, float[]>();
        List<CaptionedImage> Make(int n, bool test, string prefix)
        {
            var list = new List<CaptionedImage>();
            for (int i = 0; i < n; i++)
            {
                ShapesScene scene = ShapesScene.Random(rng, 32, heldOut, test);
                features[$"{prefix}{i}"] = Symbolic(scene, rng);
                list.Add(new CaptionedImage($"{prefix}{i}", test ? scene.Captions() : scene.Captions()[..1], "synthetic"));
            }
            return list;
        }
        var train = Make(400, false, "train");
        var test = Make(100, true, "test");
        var imageFeatures = new ImageFeatures(2, 8, features, "synthetic");
        Vocabulary vocabulary = Vocabulary.Build(train.SelectMany(i => i.Captions).SelectMany(CaptionConfig.Tokenize));
        var shape = new CaptionShape(vocabulary.Count, 2, 8, CellKind.Lstm, 16, 32, 1, AttentionKind.None, 16, 0f);
        var config = new CaptionConfig(vocabulary, FeatureSource.SafeTensors, 32, 4, 12, shape);
        var model = new Captioner(config, new CaptionNetwork(shape, new Rng(3)));
        var task = new CaptioningTask(model, train, test.Take(5).ToArray(), imageFeatures, 32, 5);
        new Trainer(task, new TrainOptions(epochs: 20, learningRate: 1e-2f, evalEvery: 10_000, schedule: ScheduleKind.Constant), _root, new Quiet()).Run();
        CaptionScores greedy = Captioner.Score(model.Network, config, test, imageFeatures, model.Options(1));
        CaptionScores beam = Captioner.Score(model.Network, config, test, imageFeatures, model.Options(3));
        Assert.True(greedy.ExactMatch >= 0.9, $"greedy exact match {greedy.ExactMatch:P0} on unseen pairs; expected ≥ 90%");
        Assert.True(beam.Bleu.Bleu4 >= 0.9, $"beam BLEU-4 {beam.Bleu.Bleu4:F3} on unseen pairs; expected ≥ 0.9");
    }

    [Fact]
    public void CaptionsFile_RoundTripsAndNamesBadLines()
    {
        string path = Path.Combine(_root, "captions.txt");
        CaptionsReader.Write(path, [new CaptionedImage("a.png", ["a dog, running", "a \"quoted\" dog"], "x")]);
        var read = CaptionsReader.Read(path);
        Assert.Equal(["a dog, running", "a \"quoted\" dog"], read.Single().Captions);
        File.WriteAllText(path, "image,caption\na.png,a dog\nb.png,\n");
        var e = Assert.Throws<RecurrentDataException>(() => CaptionsReader.Read(path));
        Assert.Contains("line 3", e.Message);
        File.WriteAllText(path, "file,text\na.png,a dog\n");
        Assert.Contains("'image' and 'caption'", Assert.Throws<RecurrentDataException>(() => CaptionsReader.Read(path)).Message);
    }

    [Fact]
    public void PixelFeatures_CutTheImageIntoRowMajorPatches()
    {
        var rgb = Enumerable.Range(0, 4 * 4 * 3).Select(i => (float)i).ToArray();
        float[] f = PixelFeatures.FromRgb(rgb, 4, 2);
        Assert.Equal(4 * 12, f.Length);
        // Cell 1 is the top-right 2×2 patch: pixels (0,2), (0,3), (1,2), (1,3).
        Assert.Equal(new float[] { 6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23 }, f[12..24]);
    }
}
