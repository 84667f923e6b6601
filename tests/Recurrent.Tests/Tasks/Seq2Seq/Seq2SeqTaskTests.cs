using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tests.Tasks.Seq2Seq;

public sealed class Seq2SeqTaskTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-s2stask-" + Guid.NewGuid().ToString("N"));

    public Seq2SeqTaskTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
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

    private sealed class Quiet : ITrainingObserver
    {
        public void OnStep(TrainingProgress progress) { }
        public void OnEvaluation(EvaluationReport report) { }
        public void OnMessage(string message) { }
    }

    [Fact]
    public void Resume_AfterStop_ReproducesTheUninterruptedRun_WithDropoutAndSampledInputs()
    {
        Seq2SeqConfig baseConfig = Seq2SeqLearnsTests.ReverseConfig(AttentionKind.Bahdanau, hidden: 8);
        var config = baseConfig with { Shape = baseConfig.Shape with { Dropout = 0.2f } };
        SequencePair[] train = Seq2SeqLearnsTests.ReversePairs(200, 1), valid = Seq2SeqLearnsTests.ReversePairs(30, 2);
        Seq2SeqTask NewTask(ulong init) => new(new Seq2SeqModel(config, new Seq2SeqNetwork(config.Shape, new Rng(init))),
            Seq2SeqTask.Encode(config, train), valid, 16, new Seq2SeqLossOptions(TeacherForcing: 0.7f, LabelSmoothing: 0.1f), 5);
        var options = new TrainOptions(steps: 20, evalEvery: 5, logEvery: 5);
        string whole = Path.Combine(_root, "whole"), parts = Path.Combine(_root, "parts");
        Directory.CreateDirectory(whole);
        Directory.CreateDirectory(parts);
        new Trainer(NewTask(3), options, whole, new Quiet()).Run();
        using var stop = new CancellationTokenSource();
        new Trainer(NewTask(3), options, parts, new StopAt(12, stop)).Run(stop.Token);
        var resumed = new Trainer(NewTask(99), options, parts, new Quiet());
        resumed.Resume();
        resumed.Run();
        static string[] Lines(string dir) => File.ReadAllLines(Path.Combine(dir, RunFiles.Metrics))
            .Select(l => { var o = JsonNode.Parse(l)!.AsObject(); o.Remove("tokens_per_s"); o.Remove("elapsed_s"); return o.ToJsonString(); }).ToArray();
        Assert.Equal(Lines(whole), Lines(parts));
    }

    [Fact]
    public void Encode_MakesOnePairPerAlternative_AndReversesSourcesWhenAsked()
    {
        Seq2SeqConfig config = Seq2SeqLearnsTests.ReverseConfig(AttentionKind.None);
        EncodedPairs pairs = Seq2SeqTask.Encode(config, [new SequencePair("abc", ["cba", "cb"], "x:1")]);
        Assert.Equal(2, pairs.Sources.Count);
        Assert.Equal(pairs.Sources[0], pairs.Sources[1]);
        Assert.Equal(3, pairs.Targets[0].Length);
        Assert.Equal(2, pairs.Targets[1].Length);
        var reversed = config with { Shape = config.Shape with { ReverseSource = true } };
        Assert.Equal(pairs.Sources[0].Reverse(), Seq2SeqTask.Encode(reversed, [new SequencePair("abc", ["cba"], "x:1")]).Sources[0]);
    }
}
