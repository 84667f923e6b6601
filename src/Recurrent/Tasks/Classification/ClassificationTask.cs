// Training a classifier: seeded epochs of length-bucketed batches, cross-entropy with optional class weights
// (balanced: w_c = N / (C·n_c)), validation by macro-F1 (the best model is kept by it).
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Classification;

/// <summary>Encoded texts with their class indices.</summary>
public sealed record EncodedExamples(IReadOnlyList<int[]> Texts, int[] Labels);

/// <summary>The classifier as an <see cref="ITrainingTask"/>.</summary>
public sealed class ClassificationTask : ITrainingTask
{
    private readonly Classifier _model;
    private readonly EncodedExamples _train, _valid;
    private readonly float[]? _classWeights;
    private readonly ShuffledEpochs _epochs;

    public ClassificationTask(Classifier model, EncodedExamples train, EncodedExamples valid, int batchSize, bool balanceClasses, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        (_model, _train, _valid) = (model, train, valid);
        int classes = model.Network.Shape.Classes;
        if (balanceClasses)
        {
            var counts = new int[classes];
            foreach (int label in train.Labels) counts[label]++;
            _classWeights = counts.Select(n => n == 0 ? 0f : (float)train.Labels.Length / (classes * n)).ToArray();
        }
        _epochs = new ShuffledEpochs(seed ^ 0xC1A55UL, rng => ClassificationBatches.PlanEpoch(train.Texts, batchSize, rng));
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "macro_f1";
    public bool HigherIsBetter => true;
    public bool ReportsBitsPerToken => false;
    public int StepsPerEpoch => _epochs.StepsPerEpoch;
    public int EpochsCompleted => _epochs.EpochsCompleted;
    public double EpochProgress => _epochs.EpochProgress;

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        ClassificationBatch batch = ClassificationBatches.Build(_train.Texts, _epochs.Next());
        int[] targets = batch.Indices.Select(i => _train.Labels[i]).ToArray();
        float[]? weights = _classWeights is null ? null : targets.Select(t => _classWeights[t]).ToArray();
        Variable logits = _model.Network.Forward(tape, batch.Tokens, batch.Steps, batch.Size, batch.Lengths, dropoutRng);
        return (tape.CrossEntropy(logits, targets, weights: weights), batch.Lengths.Sum());
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        var (metrics, loss) = Score(_model.Network, _valid);
        return new Dictionary<string, double> { ["macro_f1"] = metrics.MacroF1, ["accuracy"] = metrics.Accuracy, ["loss"] = loss };
    }

    /// <summary>Metrics and mean cross-entropy of a network on encoded examples.</summary>
    public static (ClassificationMetrics Metrics, double Loss) Score(ClassifierNetwork network, EncodedExamples data)
    {
        float[][] probabilities = Classifier.Probabilities(network, data.Texts);
        var predicted = new int[probabilities.Length];
        double loss = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            float[] p = probabilities[i];
            int best = 0;
            for (int c = 1; c < p.Length; c++) if (p[c] > p[best]) best = c;
            predicted[i] = best;
            loss -= Math.Log(Math.Max(p[data.Labels[i]], 1e-30f));
        }
        return (ClassificationMetrics.Compute(predicted, data.Labels, network.Shape.Classes), loss / Math.Max(1, probabilities.Length));
    }

    public string? Sample(ulong seed) => null;

    public IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors() => [];

    public JsonObject SaveCursor() => _epochs.Save();

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _epochs.Load(cursor);
    }
}
