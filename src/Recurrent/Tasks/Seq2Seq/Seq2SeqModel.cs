// A trained seq2seq model as a user holds it: config and network, loaded from a model folder, with batched
// translation (greedy or beam search through the shared Decoding code) and evaluation against references.
using Recurrent.Data;
using Recurrent.Interop;
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>One translated input.</summary>
/// <param name="Text">The output text.</param>
/// <param name="Tokens">The output tokens.</param>
/// <param name="SourceTokens">The source tokens as the encoder read them (reversed when the model reverses sources).</param>
/// <param name="LogProbability">log p of the output (the end token included).</param>
/// <param name="Attention">Per output step (the end token included), weights over the source tokens; null without attention.</param>
public sealed record Translation(string Text, string[] Tokens, string[] SourceTokens, double LogProbability, float[][]? Attention);

/// <summary>Decoding settings of the CLI: beam size, length limit, length penalty.</summary>
/// <param name="BeamSize">K ≥ 1.</param>
/// <param name="MaxLength">Most output tokens; 0 means 2·(source length) + 10.</param>
/// <param name="LengthPenalty">α of the length normalisation.</param>
public sealed record TranslateOptions(int BeamSize = 1, int MaxLength = 0, float LengthPenalty = 1f);

/// <summary>A loaded seq2seq model.</summary>
public sealed class Seq2SeqModel(Seq2SeqConfig config, Seq2SeqNetwork network)
{
    public Seq2SeqConfig Config { get; } = config;
    public Seq2SeqNetwork Network { get; } = network;

    /// <summary>Loads config.json and model.safetensors from <paramref name="folder"/>.</summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing or does not fit.</exception>
    public static Seq2SeqModel Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn seq2seq train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        var config = Seq2SeqConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        var network = new Seq2SeqNetwork(config.Shape, new Rng(0));
        string weights = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weights))
            throw new RecurrentDataException($"{weights}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LanguageModel.LanguageModel.LoadWeights(network, SafeTensors.Read(weights), weights);
        return new Seq2SeqModel(config, network);
    }

    /// <summary>Translates <paramref name="sources"/> (already encoded), in batches of <paramref name="batchSize"/>.</summary>
    public static IReadOnlyList<DecodedSequence> Decode(Seq2SeqNetwork network, IReadOnlyList<int[]> sources, TranslateOptions options, int batchSize = 64)
    {
        using var decoder = new Seq2SeqStepDecoder(network);
        var results = new DecodedSequence[sources.Count];
        // Sorting by length keeps batches free of padding; results go back to input order. Without a fixed
        // --max-length each batch holds one source length, so every source gets its own limit 2·length + 10
        // and its output does not depend on the other inputs.
        int[] order = Enumerable.Range(0, sources.Count).OrderBy(i => sources[i].Length).ThenBy(i => i).ToArray();
        IEnumerable<int[]> chunks = options.MaxLength > 0
            ? order.Chunk(batchSize)
            : order.GroupBy(i => sources[i].Length).SelectMany(group => group.Chunk(batchSize));
        foreach (int[] chunk in chunks)
        {
            int[][] batch = chunk.Select(i => sources[i]).ToArray();
            int maxLength = options.MaxLength > 0 ? options.MaxLength : 2 * batch[0].Length + 10;
            var decoding = new DecodingOptions(Vocabulary.BosId, Vocabulary.EosId, options.BeamSize, maxLength, options.LengthPenalty);
            IReadOnlyList<DecodedSequence> decoded = SequenceDecoder.Decode(decoder, decoder.Start(batch), batch.Length, decoding);
            for (int j = 0; j < chunk.Length; j++) results[chunk[j]] = decoded[j];
        }
        return results;
    }

    /// <summary>Translates texts.</summary>
    public IReadOnlyList<Translation> Translate(IReadOnlyList<string> texts, TranslateOptions options)
    {
        var sourceTokens = new string[texts.Count][];
        int[][] sources = texts.Select((t, i) => Config.EncodeSource(t, out sourceTokens[i])).ToArray();
        IReadOnlyList<DecodedSequence> decoded = Decode(Network, sources, options);
        return decoded.Select((d, i) =>
        {
            string[] read = sourceTokens[i].Length == 0 ? [Vocabulary.UnknownToken] : sourceTokens[i];
            if (Config.Shape.ReverseSource) read = read.Reverse().ToArray();
            string[] tokens = d.Tokens.Select(id => Config.TargetVocabulary[id]).ToArray();
            return new Translation(Config.JoinTarget(d.Tokens), tokens, read, d.LogProbability, d.Attention);
        }).ToArray();
    }

    /// <summary>Translates every example's source and scores the outputs against its alternatives.</summary>
    public Seq2SeqScores Evaluate(IReadOnlyList<SequencePair> examples, TranslateOptions options) =>
        Score(Config, Network, examples, options);

    /// <summary>Scores a network on examples (used for validation during training too).</summary>
    public static Seq2SeqScores Score(Seq2SeqConfig config, Seq2SeqNetwork network, IReadOnlyList<SequencePair> examples, TranslateOptions options)
    {
        int[][] sources = examples.Select(e => config.EncodeSource(e.Source, out _)).ToArray();
        IReadOnlyList<DecodedSequence> decoded = Decode(network, sources, options);
        string[][] outputs = decoded.Select(d => d.Tokens.Select(id => config.TargetVocabulary[id]).ToArray()).ToArray();
        return Seq2SeqMetrics.Score(outputs, examples.Select(e => (IReadOnlyList<string[]>)e.Targets.Select(config.SplitTarget).ToArray()).ToArray(),
            decoded.Select(d => config.JoinTarget(d.Tokens)).ToArray(), examples.Select(e => e.Targets).ToArray());
    }
}
