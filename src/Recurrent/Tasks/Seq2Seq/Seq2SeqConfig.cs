// config.json of a seq2seq model folder: tokenizers and vocabularies of both sides, the data format it was
// trained on (so eval reads a CMUdict file the same way), and the network's shape, with a format version.
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>Everything besides the weights that a seq2seq model needs.</summary>
public sealed record Seq2SeqConfig(TokenizerKind SourceTokenizer, TokenizerKind TargetTokenizer, Vocabulary SourceVocabulary,
    Vocabulary TargetVocabulary, PairFormat Format, bool StripStress, Seq2SeqShape Shape)
{
    public const int FormatVersion = 1;
    public const string TaskName = "seq2seq";

    /// <summary>Source ids of a text (reversed when the model reads sources reversed); an empty text becomes one &lt;unk&gt;.</summary>
    public int[] EncodeSource(string text, out string[] tokens)
    {
        tokens = Tokenizers.Create(SourceTokenizer).Split(text).Where(t => t != WordTokenizer.Newline).ToArray();
        int[] ids = SourceVocabulary.Encode(tokens, out _);
        if (ids.Length == 0) return [Vocabulary.UnknownId];
        if (Shape.ReverseSource) Array.Reverse(ids);
        return ids;
    }

    /// <summary>Target tokens of a text.</summary>
    public string[] SplitTarget(string text) => Tokenizers.Create(TargetTokenizer).Split(text).Where(t => t != WordTokenizer.Newline).ToArray();

    /// <summary>The text of target ids.</summary>
    public string JoinTarget(IEnumerable<int> ids) => Tokenizers.Create(TargetTokenizer).Join(ids.Select(id => TargetVocabulary[id]));

    public JsonObject ToJson(JsonObject? training = null) => new()
    {
        ["format_version"] = FormatVersion,
        ["task"] = TaskName,
        ["source_tokenizer"] = TokenizerName(SourceTokenizer),
        ["target_tokenizer"] = TokenizerName(TargetTokenizer),
        ["data_format"] = Format == PairFormat.CmuDict ? "cmudict" : "tsv",
        ["strip_stress"] = StripStress,
        ["model"] = new JsonObject
        {
            ["cell"] = LanguageModelConfig.CellName(Shape.Cell),
            ["source_vocab_size"] = Shape.SourceVocabularySize,
            ["target_vocab_size"] = Shape.TargetVocabularySize,
            ["embedding_size"] = Shape.EmbeddingSize,
            ["encoder_hidden"] = Shape.EncoderHidden,
            ["encoder_layers"] = Shape.EncoderLayers,
            ["bidirectional"] = Shape.Bidirectional,
            ["decoder_hidden"] = Shape.DecoderHidden,
            ["decoder_layers"] = Shape.DecoderLayers,
            ["attention"] = AttentionName(Shape.Attention),
            ["attention_size"] = Shape.AttentionSize,
            ["dropout"] = Shape.Dropout,
            ["reverse_source"] = Shape.ReverseSource,
        },
        ["training"] = training?.DeepClone(),
        ["source_vocabulary"] = new JsonArray(SourceVocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        ["target_vocabulary"] = new JsonArray(TargetVocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
    };

    public static Seq2SeqConfig FromJson(JsonObject o, string path)
    {
        try
        {
            ModelConfigHeader.Check(o, path, TaskName, FormatVersion, "seq2seq");
            var source = Vocabulary.FromTokens(o["source_vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            var target = Vocabulary.FromTokens(o["target_vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            JsonObject m = o["model"]!.AsObject();
            var shape = new Seq2SeqShape(m["source_vocab_size"]!.GetValue<int>(), m["target_vocab_size"]!.GetValue<int>(),
                LanguageModelConfig.ParseCell(m["cell"]!.GetValue<string>(), path), m["embedding_size"]!.GetValue<int>(),
                m["encoder_hidden"]!.GetValue<int>(), m["encoder_layers"]!.GetValue<int>(), m["bidirectional"]!.GetValue<bool>(),
                m["decoder_hidden"]!.GetValue<int>(), m["decoder_layers"]!.GetValue<int>(), ParseAttention(m["attention"]!.GetValue<string>()),
                m["attention_size"]!.GetValue<int>(), m["dropout"]!.GetValue<float>(), m["reverse_source"]!.GetValue<bool>());
            if (shape.SourceVocabularySize != source.Count || shape.TargetVocabularySize != target.Count)
                throw new RecurrentDataException($"{path}: the vocabulary sizes ({shape.SourceVocabularySize}, {shape.TargetVocabularySize}) differ from the vocabularies listed ({source.Count}, {target.Count}).");
            shape.Validate();
            return new Seq2SeqConfig(ParseTokenizer(o["source_tokenizer"]!.GetValue<string>(), "source_tokenizer"),
                ParseTokenizer(o["target_tokenizer"]!.GetValue<string>(), "target_tokenizer"), source, target,
                ParseFormat(o["data_format"]!.GetValue<string>()), o["strip_stress"]!.GetValue<bool>(), shape);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or invalid ({e.Message}).", e);
        }
    }

    public static string TokenizerName(TokenizerKind kind) => kind == TokenizerKind.Character ? "char" : "word";

    public static TokenizerKind ParseTokenizer(string name, string option) => name switch
    {
        "char" => TokenizerKind.Character,
        "word" => TokenizerKind.Word,
        _ => throw new ArgumentException($"{option} must be char or word; got '{name}'."),
    };

    public static string AttentionName(AttentionKind kind) => AttentionNames.Name(kind);

    public static AttentionKind ParseAttention(string name) => AttentionNames.Parse(name);

    public static PairFormat ParseFormat(string name) => name switch
    {
        "tsv" => PairFormat.Tsv,
        "cmudict" => PairFormat.CmuDict,
        _ => throw new ArgumentException($"--format must be tsv or cmudict; got '{name}'."),
    };
}
