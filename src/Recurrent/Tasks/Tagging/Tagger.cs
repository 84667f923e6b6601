// A trained tagger as a user holds it: config and network loaded from a model folder, batched prediction,
// and scoring against gold tags (conlleval's figures).
using Recurrent.Autograd;
using Recurrent.Interop;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Tagging;

/// <summary>A sequence tagger with its vocabularies and tag set.</summary>
public sealed class Tagger
{
    public Tagger(TaggingConfig config, TaggerNetwork network) => (Config, Network) = (config, network);

    public TaggingConfig Config { get; }
    public TaggerNetwork Network { get; }

    /// <summary>Loads config.json and model.safetensors from a folder written by training.</summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing, damaged, or does not match.</exception>
    public static Tagger Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn tag train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        var config = TaggingConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        var network = new TaggerNetwork(config.Shape, new Rng(0));
        string weights = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weights))
            throw new RecurrentDataException($"{weights}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LanguageModel.LanguageModel.LoadWeights(network, SafeTensors.Read(weights), weights);
        return new Tagger(config, network);
    }

    /// <summary>The most likely tag id of every token, and the summed cross-entropy over the gold tags (0 when untagged).</summary>
    public static (int[][] Tags, double LossSum, int Targets) PredictIds(TaggerNetwork network, IReadOnlyList<EncodedSequence> data, int batchSize = 32)
    {
        int k = network.Shape.Tags;
        var result = new int[data.Count][];
        double lossSum = 0;
        int targets = 0;
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        foreach (TaggingBatch batch in TaggingBatches.InOrder(data, batchSize, network.Shape.UsesCharacters))
        {
            Variable logits = network.Forward(tape, batch.Input, null);
            int b = batch.Input.Size;
            var logProbabilities = new float[logits.Value.Length];
            Softmax.LogRows(logits.Value.Span, logProbabilities, batch.Input.Steps * b, k);
            for (int j = 0; j < b; j++)
            {
                int length = batch.Input.Lengths[j];
                var tags = new int[length];
                for (int t = 0; t < length; t++)
                {
                    int row = (t * b + j) * k, best = 0;
                    for (int c = 1; c < k; c++) if (logProbabilities[row + c] > logProbabilities[row + best]) best = c;
                    tags[t] = best;
                    int gold = batch.Targets[t * b + j];
                    if (gold == TaggingBatches.IgnoreIndex) continue;
                    lossSum -= logProbabilities[row + gold];
                    targets++;
                }
                result[batch.Indices[j]] = tags;
            }
            tape.Reset();
        }
        return (result, lossSum, targets);
    }

    /// <summary>Predicted tags of raw sequences.</summary>
    public string[][] Predict(IReadOnlyList<TaggedSequence> sequences)
    {
        var encoded = sequences.Select(s => Config.Encode(s with { Tags = null })).ToArray();
        return PredictIds(Network, encoded).Tags.Select(ids => ids.Select(i => Config.Tags[i]).ToArray()).ToArray();
    }

    /// <summary>conlleval's figures and the mean cross-entropy of a network on encoded, tagged sequences.</summary>
    public static (SpanMetrics Metrics, double Loss) Score(TaggerNetwork network, TaggingConfig config, IReadOnlyList<EncodedSequence> data)
    {
        var (predicted, lossSum, targets) = PredictIds(network, data);
        var pairs = data.Select((s, i) => ((IReadOnlyList<string>)s.Tags.Select(t => config.Tags[t]).ToArray(),
            (IReadOnlyList<string>)predicted[i].Select(t => config.Tags[t]).ToArray()));
        return (SpanMetrics.Compute(pairs, config.RawSpans), targets == 0 ? 0 : lossSum / targets);
    }
}
