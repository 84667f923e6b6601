// Training an encoder-decoder: seeded epochs of source-length-bucketed batches, teacher-forced cross-entropy,
// validation by greedy exact match (the best model is kept by it), with loss and token error rate alongside.
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>The encoder-decoder as an <see cref="ITrainingTask"/>.</summary>
public sealed class Seq2SeqTask : ITrainingTask
{
    private readonly Seq2SeqModel _model;
    private readonly EncodedPairs _train, _validPairs;
    private readonly IReadOnlyList<SequencePair> _validExamples;
    private readonly int _batchSize;
    private readonly Seq2SeqLossOptions _loss;
    private readonly ShuffledEpochs _epochs;

    /// <param name="model">Config and network.</param>
    /// <param name="train">Training pairs (one per target alternative).</param>
    /// <param name="validExamples">Validation examples with all their alternatives (for exact match).</param>
    /// <param name="batchSize">Pairs per batch.</param>
    /// <param name="loss">Teacher forcing and label smoothing.</param>
    /// <param name="seed">Seeds the shuffles.</param>
    public Seq2SeqTask(Seq2SeqModel model, EncodedPairs train, IReadOnlyList<SequencePair> validExamples, int batchSize, Seq2SeqLossOptions loss, ulong seed)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        if (train.Sources.Count == 0) throw new ArgumentException("Seq2SeqTask: there are no training pairs.", nameof(train));
        loss.Validate();
        (_model, _train, _validExamples, _batchSize, _loss) = (model, train, validExamples, batchSize, loss);
        _validPairs = Encode(model.Config, validExamples);
        _epochs = new ShuffledEpochs(seed ^ 0x5E025E0UL, rng => ClassificationBatches.PlanEpoch(train.Sources, batchSize, rng));
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "exact_match";
    public bool HigherIsBetter => true;
    public bool ReportsBitsPerToken => false;
    public int StepsPerEpoch => _epochs.StepsPerEpoch;
    public int EpochsCompleted => _epochs.EpochsCompleted;
    public double EpochProgress => _epochs.EpochProgress;

    /// <summary>Encodes examples into pairs, one per target alternative.</summary>
    public static EncodedPairs Encode(Seq2SeqConfig config, IReadOnlyList<SequencePair> examples)
    {
        var sources = new List<int[]>();
        var targets = new List<int[]>();
        foreach (SequencePair e in examples)
        {
            int[] source = config.EncodeSource(e.Source, out _);
            foreach (string target in e.Targets)
            {
                sources.Add(source);
                targets.Add(config.TargetVocabulary.Encode(config.SplitTarget(target), out _));
            }
        }
        return new EncodedPairs(sources, targets);
    }

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        Seq2SeqBatch batch = Seq2SeqBatches.Build(_train, _epochs.Next());
        return (Seq2SeqLoss.Compute(_model.Network, tape, batch, _loss, dropoutRng), batch.TargetTokens);
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        Seq2SeqScores scores = Seq2SeqModel.Score(_model.Config, _model.Network, _validExamples, new TranslateOptions());
        return new Dictionary<string, double>
        {
            ["exact_match"] = scores.ExactMatch,
            ["ter"] = scores.TokenErrorRate,
            ["bleu"] = scores.Bleu,
            ["loss"] = ValidationLoss(_model.Network, _validPairs, _batchSize),
        };
    }

    /// <summary>Teacher-forced cross-entropy per target token (evaluation mode, no label smoothing).</summary>
    public static double ValidationLoss(Seq2SeqNetwork network, EncodedPairs pairs, int batchSize)
    {
        double sum = 0;
        long tokens = 0;
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        // Sorted by source length so batches carry little padding.
        int[] order = Enumerable.Range(0, pairs.Sources.Count).OrderBy(i => pairs.Sources[i].Length).ThenBy(i => i).ToArray();
        foreach (int[] indices in order.Chunk(batchSize))
        {
            Seq2SeqBatch batch = Seq2SeqBatches.Build(pairs, indices);
            Variable loss = Seq2SeqLoss.Compute(network, tape, batch, new Seq2SeqLossOptions(), null);
            sum += (double)loss.Value[0] * batch.TargetTokens;
            tokens += batch.TargetTokens;
            tape.Reset();
        }
        return tokens == 0 ? 0 : sum / tokens;
    }

    /// <summary>The first three validation sources with their greedy outputs.</summary>
    public string? Sample(ulong seed)
    {
        var examples = _validExamples.Take(3).ToArray();
        if (examples.Length == 0) return null;
        var model = new Seq2SeqModel(_model.Config, _model.Network);
        IReadOnlyList<Translation> outputs = model.Translate(examples.Select(e => e.Source).ToArray(), new TranslateOptions());
        return string.Join("  |  ", examples.Select((e, i) => $"{e.Source} → {outputs[i].Text}"));
    }

    public IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors() => [];

    public JsonObject SaveCursor() => _epochs.Save();

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _epochs.Load(cursor);
    }
}
