// A trained captioner as a user holds it: config and network loaded from a model folder, caption generation
// through the shared greedy/beam decoding, and scoring (BLEU-1…4 against every reference, exact match).
using Recurrent.Interop;
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Captioning;

/// <summary>What scoring generated captions found.</summary>
/// <param name="Bleu">Corpus BLEU-1…4.</param>
/// <param name="Images">Images scored.</param>
/// <param name="ExactMatch">Share of images whose caption equals one of its references (after tokenization).</param>
public sealed record CaptionScores(BleuScores Bleu, double ExactMatch, int Images);

/// <summary>A captioner with its vocabulary.</summary>
public sealed class Captioner
{
    public Captioner(CaptionConfig config, CaptionNetwork network) => (Config, Network) = (config, network);

    public CaptionConfig Config { get; }
    public CaptionNetwork Network { get; }

    /// <summary>Loads config.json and model.safetensors from a folder written by training.</summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing, damaged, or does not match.</exception>
    public static Captioner Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn caption train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        var config = CaptionConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        var network = new CaptionNetwork(config.Shape, new Rng(0));
        string weights = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weights))
            throw new RecurrentDataException($"{weights}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LanguageModel.LanguageModel.LoadWeights(network, SafeTensors.Read(weights), weights);
        return new Captioner(config, network);
    }

    /// <summary>Decoding settings for this vocabulary: beam <paramref name="beam"/> (1 = greedy), captions of at most the configured length.</summary>
    public DecodingOptions Options(int beam = 1, float lengthPenalty = 1f) =>
        new(Data.Vocabulary.BosId, Data.Vocabulary.EosId, beam, Config.MaxLength + 1, lengthPenalty);

    /// <summary>Caption tokens for each image, in batches.</summary>
    public static string[][] Generate(CaptionNetwork network, CaptionConfig config, IReadOnlyList<float[]> features, DecodingOptions options, int batchSize = 64)
    {
        var result = new string[features.Count][];
        int width = config.Shape.FeatureCells * config.Shape.FeatureSize;
        for (int start = 0; start < features.Count; start += batchSize)
        {
            int b = Math.Min(batchSize, features.Count - start);
            var batch = new float[b * width];
            for (int i = 0; i < b; i++) features[start + i].CopyTo(batch, i * width);
            using var decoder = new CaptionStepDecoder(network);
            IReadOnlyList<DecodedSequence> decoded = SequenceDecoder.Decode(decoder, decoder.Start(batch, b), b, options);
            for (int i = 0; i < b; i++) result[start + i] = decoded[i].Tokens.Select(t => config.Vocabulary[t]).ToArray();
        }
        return result;
    }

    /// <summary>Generated captions scored against each image's references.</summary>
    public static CaptionScores Score(CaptionNetwork network, CaptionConfig config, IReadOnlyList<CaptionedImage> images, ImageFeatures features, DecodingOptions options)
    {
        string[][] generated = Generate(network, config, images.Select(i => features[i.Image]).ToArray(), options);
        var references = images.Select(i => (IReadOnlyList<IReadOnlyList<string>>)i.Captions.Select(c => (IReadOnlyList<string>)CaptionConfig.Tokenize(c)).ToArray()).ToArray();
        int exact = 0;
        for (int i = 0; i < images.Count; i++)
            if (references[i].Any(r => r.SequenceEqual(generated[i]))) exact++;
        return new CaptionScores(BleuScores.Compute(generated, references), images.Count == 0 ? 0 : (double)exact / images.Count, images.Count);
    }
}
