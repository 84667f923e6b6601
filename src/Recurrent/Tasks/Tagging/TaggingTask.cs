// Training a tagger: seeded epochs of length-bucketed batches, per-token softmax cross-entropy with padding
// ignored, validation by conlleval's span F1 (the best model is kept by it).
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Tagging;

/// <summary>The tagger as an <see cref="ITrainingTask"/>.</summary>
public sealed class TaggingTask : ITrainingTask
{
    private readonly Tagger _model;
    private readonly IReadOnlyList<EncodedSequence> _train, _valid;
    private readonly ShuffledEpochs _epochs;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1.</exception>
    /// <exception cref="ArgumentException">The training data is empty or untagged.</exception>
    public TaggingTask(Tagger model, IReadOnlyList<EncodedSequence> train, IReadOnlyList<EncodedSequence> valid, int batchSize, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        if (train.Count == 0 || train.Any(s => s.Tags.Length != s.Words.Length))
            throw new ArgumentException("TaggingTask: the training data must hold at least one sequence, every token tagged.", nameof(train));
        (_model, _train, _valid) = (model, train, valid);
        _epochs = new ShuffledEpochs(seed ^ 0x7A66UL, rng => TaggingBatches.PlanEpoch(train, batchSize, rng));
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "span_f1";
    public bool HigherIsBetter => true;
    public bool ReportsBitsPerToken => false;
    public int StepsPerEpoch => _epochs.StepsPerEpoch;
    public int EpochsCompleted => _epochs.EpochsCompleted;
    public double EpochProgress => _epochs.EpochProgress;

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        TaggingBatch batch = TaggingBatches.Build(_train, _epochs.Next(), _model.Network.Shape.UsesCharacters);
        Variable logits = _model.Network.Forward(tape, batch.Input, dropoutRng);
        return (tape.CrossEntropy(logits, batch.Targets, TaggingBatches.IgnoreIndex), batch.Input.Lengths.Sum());
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        var (metrics, loss) = Tagger.Score(_model.Network, _model.Config, _valid);
        return new Dictionary<string, double> { ["span_f1"] = metrics.F1, ["token_accuracy"] = metrics.TokenAccuracy, ["loss"] = loss };
    }

    public string? Sample(ulong seed) => null;

    public IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors() => [];

    public JsonObject SaveCursor() => _epochs.Save();

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _epochs.Load(cursor);
    }
}
