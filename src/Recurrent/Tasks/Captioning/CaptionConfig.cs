// config.json of a captioner folder: the caption vocabulary, where image features come from, the longest
// caption, and the network's shape, with a format version. Also the caption tokenizer.
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Tasks.Captioning;

/// <summary>Where a model's image features come from.</summary>
public enum FeatureSource
{
    /// <summary>A safetensors file keyed by image file name.</summary>
    SafeTensors,
    /// <summary>The image's pixels: resized to Size×Size, cut into Patch×Patch cells of RGB values in [0, 1].</summary>
    Pixels,
    /// <summary>The output of an ONNX image model run on the image (outside the library, through ONNX Runtime).</summary>
    Onnx,
}

/// <summary>What config.json says about a captioner.</summary>
/// <param name="Vocabulary">Caption words, with the reserved tokens.</param>
/// <param name="Features">Where image features come from.</param>
/// <param name="ImageSize">Pixels: the side images are resized to.</param>
/// <param name="PatchSize">Pixels: the side of one feature cell.</param>
/// <param name="MaxLength">Most words of a caption in training and generation.</param>
/// <param name="Shape">The network.</param>
public sealed partial record CaptionConfig(Vocabulary Vocabulary, FeatureSource Features, int ImageSize, int PatchSize, int MaxLength, CaptionShape Shape)
{
    public const int FormatVersion = 1;
    public const string TaskName = "caption";

    /// <summary>Onnx features: the image model's file (as given when training).</summary>
    public string? OnnxModel { get; init; }

    /// <summary>Onnx features: whether pixels are normalised with ImageNet's mean and standard deviation.</summary>
    public bool OnnxImageNetNormalize { get; init; } = true;

    [GeneratedRegex(@"[\p{L}\p{N}']+|[^\s\p{L}\p{N}']")]
    private static partial Regex WordPattern();

    /// <summary>Caption tokens: lower-cased words, punctuation marks as tokens of their own.</summary>
    public static string[] Tokenize(string caption) => WordPattern().Matches(caption.ToLowerInvariant()).Select(m => m.Value).ToArray();

    /// <summary>Input ids (begin token, words) and target ids (words, end token) of a caption cut to <see cref="MaxLength"/> words.</summary>
    public (int[] Inputs, int[] Targets) Encode(string caption)
    {
        int[] words = Vocabulary.Encode(Tokenize(caption).Take(MaxLength), out _);
        return ([Vocabulary.BosId, .. words], [.. words, Vocabulary.EosId]);
    }

    public JsonObject ToJson(JsonObject? training = null) => new()
    {
        ["format_version"] = FormatVersion,
        ["task"] = TaskName,
        ["features"] = SourceName(Features),
        ["onnx_model"] = OnnxModel,
        ["onnx_normalize"] = OnnxImageNetNormalize ? "imagenet" : "none",
        ["image_size"] = ImageSize,
        ["patch_size"] = PatchSize,
        ["max_len"] = MaxLength,
        ["model"] = new JsonObject
        {
            ["cell"] = LanguageModelConfig.CellName(Shape.Cell),
            ["vocab_size"] = Shape.VocabularySize,
            ["feature_cells"] = Shape.FeatureCells,
            ["feature_size"] = Shape.FeatureSize,
            ["embedding_size"] = Shape.EmbeddingSize,
            ["hidden_size"] = Shape.HiddenSize,
            ["layers"] = Shape.Layers,
            ["attention"] = AttentionName(Shape.Attention),
            ["attention_size"] = Shape.AttentionSize,
            ["dropout"] = Shape.Dropout,
        },
        ["training"] = training?.DeepClone(),
        ["vocabulary"] = new JsonArray(Vocabulary.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
    };

    /// <exception cref="RecurrentDataException">Missing fields, another task or version, inconsistent sizes.</exception>
    public static CaptionConfig FromJson(JsonObject o, string path)
    {
        try
        {
            ModelConfigHeader.Check(o, path, TaskName, FormatVersion, "a captioner");
            var vocabulary = Vocabulary.FromTokens(o["vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            JsonObject m = o["model"]!.AsObject();
            var shape = new CaptionShape(m["vocab_size"]!.GetValue<int>(), m["feature_cells"]!.GetValue<int>(), m["feature_size"]!.GetValue<int>(),
                LanguageModelConfig.ParseCell(m["cell"]!.GetValue<string>(), path), m["embedding_size"]!.GetValue<int>(), m["hidden_size"]!.GetValue<int>(),
                m["layers"]!.GetValue<int>(), ParseAttention(m["attention"]!.GetValue<string>()), m["attention_size"]!.GetValue<int>(), m["dropout"]!.GetValue<float>());
            if (shape.VocabularySize != vocabulary.Count)
                throw new RecurrentDataException($"{path}: vocab_size is {shape.VocabularySize} but the vocabulary lists {vocabulary.Count} tokens.");
            shape.Validate();
            FeatureSource source = o["features"]!.GetValue<string>() switch
            {
                "pixels" => FeatureSource.Pixels,
                "safetensors" => FeatureSource.SafeTensors,
                "onnx" => FeatureSource.Onnx,
                string other => throw new RecurrentDataException($"{path}: features '{other}' is unknown; expected pixels, onnx or safetensors."),
            };
            return new CaptionConfig(vocabulary, source, o["image_size"]!.GetValue<int>(), o["patch_size"]!.GetValue<int>(), o["max_len"]!.GetValue<int>(), shape)
            {
                OnnxModel = o["onnx_model"]?.GetValue<string>(),
                OnnxImageNetNormalize = o["onnx_normalize"]?.GetValue<string>() != "none",
            };
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or invalid ({e.Message}).", e);
        }
    }

    public static string SourceName(FeatureSource source) => source switch
    {
        FeatureSource.Pixels => "pixels",
        FeatureSource.Onnx => "onnx",
        _ => "safetensors",
    };

    public static string AttentionName(AttentionKind kind) => AttentionNames.Name(kind);

    public static AttentionKind ParseAttention(string name) => AttentionNames.Parse(name);
}
