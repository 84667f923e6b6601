// config.json of a language model folder: the tokenizer, the vocabulary and the network's shape, with a
// format version. Everything needed to rebuild the network before loading model.safetensors.
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>What config.json says about a language model.</summary>
public sealed record LanguageModelConfig(TokenizerKind Tokenizer, Vocabulary Vocabulary, LanguageModelShape Shape)
{
    public const int FormatVersion = 1;
    public const string TaskName = "lm";

    /// <summary>The JSON written to config.json; <paramref name="training"/> records the options used (informational).</summary>
    public JsonObject ToJson(JsonObject? training = null) => new()
    {
        ["format_version"] = FormatVersion,
        ["task"] = TaskName,
        ["tokenizer"] = Tokenizer == TokenizerKind.Character ? "char" : "word",
        ["model"] = new JsonObject
        {
            ["cell"] = CellName(Shape.Cell),
            ["vocab_size"] = Shape.VocabularySize,
            ["embedding_size"] = Shape.EmbeddingSize,
            ["hidden_size"] = Shape.HiddenSize,
            ["layers"] = Shape.Layers,
            ["dropout"] = Shape.Dropout,
            ["weight_drop"] = Shape.WeightDrop,
            ["embedding_dropout"] = Shape.InputDropout,
        },
        ["training"] = training?.DeepClone(),
        ["vocabulary"] = new JsonArray(Vocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
    };

    /// <summary>Reads and validates config.json.</summary>
    /// <exception cref="RecurrentDataException">Missing fields, another task, another format version, or inconsistent sizes.</exception>
    public static LanguageModelConfig FromJson(JsonObject o, string path)
    {
        try
        {
            ModelConfigHeader.Check(o, path, TaskName, FormatVersion, "a language model");
            TokenizerKind tokenizer = o["tokenizer"]!.GetValue<string>() switch
            {
                "char" => TokenizerKind.Character,
                "word" => TokenizerKind.Word,
                var other => throw new RecurrentDataException($"{path}: tokenizer '{other}' is unknown; expected 'char' or 'word'."),
            };
            var tokens = o["vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            Vocabulary vocabulary = Vocabulary.FromTokens(tokens, path);
            JsonObject m = o["model"]!.AsObject();
            var shape = new LanguageModelShape(m["vocab_size"]!.GetValue<int>(), ParseCell(m["cell"]!.GetValue<string>(), path),
                m["embedding_size"]!.GetValue<int>(), m["hidden_size"]!.GetValue<int>(), m["layers"]!.GetValue<int>(), m["dropout"]!.GetValue<float>(),
                m["weight_drop"]?.GetValue<float>() ?? 0f, m["embedding_dropout"]?.GetValue<float>());
            if (shape.VocabularySize != vocabulary.Count)
                throw new RecurrentDataException($"{path}: vocab_size is {shape.VocabularySize} but the vocabulary lists {vocabulary.Count} tokens.");
            shape.Validate();
            return new LanguageModelConfig(tokenizer, vocabulary, shape);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentOutOfRangeException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or invalid ({e.Message}).", e);
        }
    }

    public static string CellName(CellKind cell) => cell switch
    {
        CellKind.RnnTanh => "rnn",
        CellKind.RnnRelu => "rnn-relu",
        CellKind.Lstm => "lstm",
        CellKind.Gru => "gru",
        CellKind.LayerNormLstm => "ln-lstm",
        _ => "gru-original",
    };

    public static CellKind ParseCell(string name, string source) => name switch
    {
        "rnn" or "rnn-tanh" => CellKind.RnnTanh,
        "rnn-relu" => CellKind.RnnRelu,
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "gru-original" => CellKind.GruOriginal,
        "ln-lstm" => CellKind.LayerNormLstm,
        _ => throw new RecurrentDataException($"{source}: cell '{name}' is unknown; expected rnn, rnn-relu, lstm, ln-lstm, gru or gru-original."),
    };
}
