// Training a captioner: every (image, reference caption) pair is an example; seeded epochs of batches of
// similar caption length; teacher-forced cross-entropy with padding ignored; validation by greedy-decoded
// BLEU-4 against all references of each held-out image (the best model is kept by it).
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Captioning;

/// <summary>The captioner as an <see cref="ITrainingTask"/>.</summary>
public sealed class CaptioningTask : ITrainingTask
{
    private readonly Captioner _model;
    private readonly ImageFeatures _features;
    private readonly IReadOnlyList<CaptionedImage> _valid;
    private readonly (string Image, int[] Inputs, int[] Targets)[] _examples, _validExamples;
    private readonly int[][] _inputs;
    private readonly int _batchSize;
    private readonly ShuffledEpochs _epochs;

    /// <exception cref="ArgumentException">No training caption, or a batch size below 1.</exception>
    /// <exception cref="RecurrentDataException">An image has no features.</exception>
    public CaptioningTask(Captioner model, IReadOnlyList<CaptionedImage> train, IReadOnlyList<CaptionedImage> valid, ImageFeatures features, int batchSize, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        (_model, _valid, _features, _batchSize) = (model, valid, features, batchSize);
        foreach (CaptionedImage image in train.Concat(valid)) _ = features[image.Image];
        _examples = train.SelectMany(i => i.Captions.Select(c => model.Config.Encode(c)).Select(e => (i.Image, e.Inputs, e.Targets))).ToArray();
        if (_examples.Length == 0) throw new ArgumentException("CaptioningTask: no training captions.", nameof(train));
        _validExamples = valid.SelectMany(i => i.Captions.Select(c => model.Config.Encode(c)).Select(e => (i.Image, e.Inputs, e.Targets))).ToArray();
        _inputs = _examples.Select(e => e.Inputs).ToArray();
        int[][] inputs = _inputs;
        _epochs = new ShuffledEpochs(seed ^ 0xCA9UL, rng => ClassificationBatches.PlanEpoch(inputs, batchSize, rng));
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "bleu4";
    public bool HigherIsBetter => true;
    public bool ReportsBitsPerToken => false;
    public int StepsPerEpoch => _epochs.StepsPerEpoch;
    public int EpochsCompleted => _epochs.EpochsCompleted;
    public double EpochProgress => _epochs.EpochProgress;

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        int[] indices = _epochs.Next();
        var (features, inputs, targets, steps, lengths) = Build(_examples, indices);
        Variable logits = _model.Network.Forward(tape, features, inputs, steps, indices.Length, lengths, dropoutRng);
        return (tape.CrossEntropy(logits, targets), lengths.Sum());
    }

    /// <summary>Features [B, S·F], inputs [T, B], targets [T·B] (−100 past each caption), T and lengths [B].</summary>
    private (float[], int[], int[], int, int[]) Build((string Image, int[] Inputs, int[] Targets)[] examples, int[] indices)
    {
        int b = indices.Length, steps = indices.Max(i => examples[i].Inputs.Length);
        int width = _model.Config.Shape.FeatureCells * _model.Config.Shape.FeatureSize;
        var features = new float[b * width];
        var inputs = new int[steps * b];
        var targets = new int[steps * b];
        var lengths = new int[b];
        for (int j = 0; j < b; j++)
        {
            var (image, input, target) = examples[indices[j]];
            _features[image].CopyTo(features, j * width);
            lengths[j] = input.Length;
            for (int t = 0; t < steps; t++)
            {
                inputs[t * b + j] = t < input.Length ? input[t] : Data.Vocabulary.PadId;
                targets[t * b + j] = t < target.Length ? target[t] : -100;
            }
        }
        return (features, inputs, targets, steps, lengths);
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        CaptionScores s = Captioner.Score(_model.Network, _model.Config, _valid, _features, _model.Options());
        return new Dictionary<string, double> { ["bleu4"] = s.Bleu.Bleu4, ["bleu1"] = s.Bleu.Bleu1, ["exact_match"] = s.ExactMatch, ["loss"] = ValidationLoss() };
    }

    /// <summary>Teacher-forced cross-entropy per word over every validation caption.</summary>
    private double ValidationLoss()
    {
        double sum = 0;
        int words = 0;
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        for (int start = 0; start < _validExamples.Length; start += _batchSize)
        {
            int[] indices = Enumerable.Range(start, Math.Min(_batchSize, _validExamples.Length - start)).ToArray();
            var (features, inputs, targets, steps, lengths) = Build(_validExamples, indices);
            Variable logits = _model.Network.Forward(tape, features, inputs, steps, indices.Length, lengths, null);
            sum += tape.CrossEntropy(logits, targets, reduction: CrossEntropyReduction.Sum).Value.Span[0];
            words += lengths.Sum();
            tape.Reset();
        }
        return words == 0 ? 0 : sum / words;
    }

    public string? Sample(ulong seed) => _valid.Count == 0 ? null
        : $"{_valid[0].Image}: {string.Join(' ', Captioner.Generate(_model.Network, _model.Config, [_features[_valid[0].Image]], _model.Options())[0])}";

    public IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors() => [];

    public JsonObject SaveCursor() => _epochs.Save();

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _epochs.Load(cursor);
    }
}
