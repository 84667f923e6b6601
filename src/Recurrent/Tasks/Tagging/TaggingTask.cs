// Training a tagger: seeded epochs of length-bucketed batches, per-token softmax cross-entropy with padding
// ignored, validation by conlleval's span F1 (the best model is kept by it).
using System.Globalization;
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Tagging;

/// <summary>The tagger as an <see cref="ITrainingTask"/>.</summary>
public sealed class TaggingTask : ITrainingTask
{
    private readonly Tagger _model;
    private readonly IReadOnlyList<EncodedSequence> _train, _valid;
    private readonly int _batchSize;
    private readonly Rng _shuffle;
    private ulong[] _epochStartState;
    private int[][] _plan;
    private int _batchIndex, _epochs;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1.</exception>
    /// <exception cref="ArgumentException">The training data is empty or untagged.</exception>
    public TaggingTask(Tagger model, IReadOnlyList<EncodedSequence> train, IReadOnlyList<EncodedSequence> valid, int batchSize, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        if (train.Count == 0 || train.Any(s => s.Tags.Length != s.Words.Length))
            throw new ArgumentException("TaggingTask: the training data must hold at least one sequence, every token tagged.", nameof(train));
        (_model, _train, _valid, _batchSize) = (model, train, valid, batchSize);
        _shuffle = new Rng(seed ^ 0x7A66UL);
        _epochStartState = _shuffle.GetState();
        _plan = TaggingBatches.PlanEpoch(train, batchSize, _shuffle);
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "span_f1";
    public bool HigherIsBetter => true;
    public bool ReportsBitsPerToken => false;
    public int StepsPerEpoch => _plan.Length;
    public int EpochsCompleted => _epochs;
    public double EpochProgress => (double)_batchIndex / _plan.Length;

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        if (_batchIndex >= _plan.Length)
        {
            _epochs++;
            _batchIndex = 0;
            _epochStartState = _shuffle.GetState();
            _plan = TaggingBatches.PlanEpoch(_train, _batchSize, _shuffle);
        }
        TaggingBatch batch = TaggingBatches.Build(_train, _plan[_batchIndex++], _model.Network.Shape.UsesCharacters);
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

    public JsonObject SaveCursor() => new()
    {
        ["epochs"] = _epochs,
        ["batch_index"] = _batchIndex,
        ["shuffle_state"] = new JsonArray(_epochStartState.Select(v => (JsonNode)v.ToString(CultureInfo.InvariantCulture)).ToArray()),
    };

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _epochs = cursor["epochs"]!.GetValue<int>();
        _batchIndex = cursor["batch_index"]!.GetValue<int>();
        _epochStartState = cursor["shuffle_state"]!.AsArray().Select(v => ulong.Parse(v!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray();
        _shuffle.SetState(_epochStartState);
        _plan = TaggingBatches.PlanEpoch(_train, _batchSize, _shuffle);
        if (_batchIndex > _plan.Length)
            throw new RecurrentDataException($"trainer.json: batch {_batchIndex} of an epoch of {_plan.Length} batches; resume with the same --data and --batch.");
    }
}
