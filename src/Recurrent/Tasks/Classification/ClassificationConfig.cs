// config.json of a classifier folder: tokenizer, vocabulary, labels, how texts are cut to length, and the
// network's shape, with a format version.
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Tasks.Classification;

/// <summary>Which part of a long text is kept.</summary>
public enum Truncation
{
    /// <summary>The first max-len tokens.</summary>
    Head,
    /// <summary>The last max-len tokens.</summary>
    Tail,
    /// <summary>The first and the last max-len/2 tokens.</summary>
    HeadTail,
}

/// <summary>What config.json says about a classifier.</summary>
public sealed record ClassificationConfig(TokenizerKind Tokenizer, bool Lowercase, Vocabulary Vocabulary, IReadOnlyList<string> Labels,
    int MaxLength, Truncation Truncation, ClassifierShape Shape)
{
    public const int FormatVersion = 1;
    public const string TaskName = "classify";

    /// <summary>Token ids of a text: tokenized, lower-cased if configured, cut to <see cref="MaxLength"/>, at least one token.</summary>
    public int[] Encode(string text, out int unknown)
    {
        ITokenizer tokenizer = Tokenizers.Create(Tokenizer);
        int[] ids = Vocabulary.Encode(tokenizer.Split(Lowercase ? text.ToLowerInvariant() : text), out unknown);
        if (ids.Length > MaxLength)
            ids = Truncation switch
            {
                Truncation.Head => ids[..MaxLength],
                Truncation.Tail => ids[^MaxLength..],
                _ => [.. ids[..(MaxLength / 2)], .. ids[^(MaxLength - MaxLength / 2)..]],
            };
        return ids.Length == 0 ? [Vocabulary.PadId] : ids;
    }

    public JsonObject ToJson(JsonObject? training = null) => new()
    {
        ["format_version"] = FormatVersion,
        ["task"] = TaskName,
        ["tokenizer"] = Tokenizer == TokenizerKind.Character ? "char" : "word",
        ["lowercase"] = Lowercase,
        ["max_len"] = MaxLength,
        ["truncation"] = TruncationName(Truncation),
        ["labels"] = new JsonArray(Labels.Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
        ["model"] = new JsonObject
        {
            ["cell"] = LanguageModelConfig.CellName(Shape.Cell),
            ["vocab_size"] = Shape.VocabularySize,
            ["embedding_size"] = Shape.EmbeddingSize,
            ["hidden_size"] = Shape.HiddenSize,
            ["layers"] = Shape.Layers,
            ["bidirectional"] = Shape.Bidirectional,
            ["dropout"] = Shape.Dropout,
            ["pooling"] = Shape.Pooling.ToString().ToLowerInvariant(),
        },
        ["training"] = training?.DeepClone(),
        ["vocabulary"] = new JsonArray(Vocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
    };

    /// <exception cref="RecurrentDataException">Missing fields, another task or version, inconsistent sizes.</exception>
    public static ClassificationConfig FromJson(JsonObject o, string path)
    {
        try
        {
            ModelConfigHeader.Check(o, path, TaskName, FormatVersion, "a classifier");
            var vocabulary = Vocabulary.FromTokens(o["vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            string[] labels = o["labels"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            JsonObject m = o["model"]!.AsObject();
            var shape = new ClassifierShape(m["vocab_size"]!.GetValue<int>(), labels.Length, LanguageModelConfig.ParseCell(m["cell"]!.GetValue<string>(), path),
                m["embedding_size"]!.GetValue<int>(), m["hidden_size"]!.GetValue<int>(), m["layers"]!.GetValue<int>(), m["bidirectional"]!.GetValue<bool>(),
                m["dropout"]!.GetValue<float>(), ParsePooling(m["pooling"]!.GetValue<string>()));
            if (shape.VocabularySize != vocabulary.Count)
                throw new RecurrentDataException($"{path}: vocab_size is {shape.VocabularySize} but the vocabulary lists {vocabulary.Count} tokens.");
            shape.Validate();
            TokenizerKind tokenizer = o["tokenizer"]!.GetValue<string>() == "char" ? TokenizerKind.Character : TokenizerKind.Word;
            return new ClassificationConfig(tokenizer, o["lowercase"]!.GetValue<bool>(), vocabulary, labels, o["max_len"]!.GetValue<int>(),
                ParseTruncation(o["truncation"]!.GetValue<string>()), shape);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or invalid ({e.Message}).", e);
        }
    }

    public static Pooling ParsePooling(string name) => name switch
    {
        "last" => Pooling.Last,
        "mean" => Pooling.Mean,
        "max" => Pooling.Max,
        "attention" => Pooling.Attention,
        _ => throw new ArgumentException($"--pooling must be last, mean, max or attention; got '{name}'."),
    };

    public static Truncation ParseTruncation(string name) => name switch
    {
        "head" => Truncation.Head,
        "tail" => Truncation.Tail,
        "head+tail" => Truncation.HeadTail,
        _ => throw new ArgumentException($"--truncate must be head, tail or head+tail; got '{name}'."),
    };

    public static string TruncationName(Truncation t) => t switch { Truncation.Head => "head", Truncation.Tail => "tail", _ => "head+tail" };
}
