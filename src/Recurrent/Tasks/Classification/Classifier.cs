// A trained classifier as a user holds it: config and network, loaded from a model folder, with batched
// prediction of class probabilities.
using Recurrent.Autograd;
using Recurrent.Interop;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Classification;

/// <summary>A text classifier with its vocabulary and labels.</summary>
public sealed class Classifier
{
    public Classifier(ClassificationConfig config, ClassifierNetwork network) => (Config, Network) = (config, network);

    public ClassificationConfig Config { get; }
    public ClassifierNetwork Network { get; }

    /// <summary>Loads config.json and model.safetensors from a folder written by training.</summary>
    public static Classifier Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn classify train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        var config = ClassificationConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        var network = new ClassifierNetwork(config.Shape, new Rng(0));
        string weights = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weights))
            throw new RecurrentDataException($"{weights}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LanguageModel.LanguageModel.LoadWeights(network, SafeTensors.Read(weights), weights);
        return new Classifier(config, network);
    }

    /// <summary>Class probabilities [N, C] for encoded texts, in batches of <paramref name="batchSize"/>.</summary>
    public static float[][] Probabilities(ClassifierNetwork network, IReadOnlyList<int[]> texts, int batchSize = 32)
    {
        int c = network.Shape.Classes;
        var result = new float[texts.Count][];
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        foreach (var batch in ClassificationBatches.InOrder(texts, batchSize))
        {
            Variable logits = network.Forward(tape, batch.Tokens, batch.Steps, batch.Size, batch.Lengths, null);
            var probabilities = new float[batch.Size * c];
            Softmax.Rows(logits.Value.Span, probabilities, batch.Size, c);
            for (int j = 0; j < batch.Size; j++) result[batch.Indices[j]] = probabilities.AsSpan(j * c, c).ToArray();
            tape.Reset();
        }
        return result;
    }

    /// <summary>Class probabilities for raw texts.</summary>
    public float[][] Predict(IReadOnlyList<string> texts) => Probabilities(Network, texts.Select(t => Config.Encode(t, out _)).ToArray());
}
