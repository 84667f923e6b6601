// A model folder of any task, for the commands that do not care which task it is (rnn info, rnn import
// pytorch): config.json is read by its "task" field into that task's config, and the network built from it.
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Tasks.Captioning;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tasks.Tagging;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Interop;

/// <summary>A model's task, network (parameters with PyTorch's names) and the config it was built from.</summary>
/// <param name="Task">"lm", "classify", "seq2seq", "tag" or "caption".</param>
/// <param name="Network">The network, freshly initialised until weights are loaded into it.</param>
/// <param name="Config">The normalised config.json (as the task writes it).</param>
/// <param name="Summary">Human-readable key/value lines describing the configuration.</param>
public sealed record TaskModel(string Task, IModule Network, JsonObject Config, IReadOnlyList<KeyValuePair<string, string>> Summary);

/// <summary>Reads model folders and configs of every task.</summary>
public static class ModelFolder
{
    /// <summary>The tasks a config may name.</summary>
    public static readonly string[] Tasks = [LanguageModelConfig.TaskName, ClassificationConfig.TaskName, Seq2SeqConfig.TaskName, TaggingConfig.TaskName, CaptionConfig.TaskName];

    /// <summary>Builds the network a config.json describes (weights initialised, not loaded).</summary>
    /// <exception cref="RecurrentDataException">The file is missing or damaged, or names an unknown task.</exception>
    public static TaskModel FromConfig(string configPath)
    {
        JsonObject json = RunFiles.ReadJsonObject(configPath);
        string task = json["task"] is JsonValue value && value.TryGetValue(out string? name) ? name : "";
        switch (task)
        {
            case LanguageModelConfig.TaskName:
            {
                var config = LanguageModelConfig.FromJson(json, configPath);
                LanguageModelShape s = config.Shape;
                return new TaskModel(task, new LanguageModelNetwork(s, new Rng(0)), config.ToJson(json["training"] as JsonObject),
                [
                    new("task", "language model (lm)"),
                    new("cell", LanguageModelConfig.CellName(s.Cell)),
                    new("layers", s.Layers.ToString()),
                    new("hidden size", s.HiddenSize.ToString()),
                    new("embedding size", s.EmbeddingSize.ToString()),
                    new("vocabulary", $"{s.VocabularySize} tokens ({(config.Tokenizer == Data.TokenizerKind.Character ? "characters" : "words")})"),
                    new("dropout", s.Dropout.ToString("0.###")),
                    new("embedding dropout", s.InputDropout.ToString("0.###")),
                    new("weight drop", s.WeightDrop.ToString("0.###")),
                    new("softmax temperature", json["calibration"] is JsonObject calibration && calibration["temperature"] is JsonValue t && t.TryGetValue(out double tau)
                        ? $"{tau:0.###} (calibrated, folded into the decoder)" : "1 (not calibrated)"),
                    new("n-gram mixture", json["ngram"] is JsonObject ngram && ngram["order"] is JsonValue order && ngram["weight"] is JsonValue weight
                        && order.TryGetValue(out int n) && weight.TryGetValue(out double w)
                        ? $"order {n}, weight {w:0.####}" + (ngram["product"] is JsonObject ? ", as a product" : "") + $" (counted from {Training.RunFiles.NGramText})" : "none"),
                ]);
            }
            case ClassificationConfig.TaskName:
            {
                var config = ClassificationConfig.FromJson(json, configPath);
                ClassifierShape s = config.Shape;
                return new TaskModel(task, new ClassifierNetwork(s, new Rng(0)), config.ToJson(json["training"] as JsonObject),
                [
                    new("task", "classifier (classify)"),
                    new("cell", LanguageModelConfig.CellName(s.Cell)),
                    new("layers", s.Layers.ToString()),
                    new("hidden size", s.HiddenSize.ToString()),
                    new("bidirectional", s.Bidirectional ? "yes" : "no"),
                    new("embedding size", s.EmbeddingSize.ToString()),
                    new("pooling", s.Pooling.ToString().ToLowerInvariant()),
                    new("classes", $"{s.Classes} ({string.Join(", ", config.Labels)})"),
                    new("vocabulary", $"{s.VocabularySize} tokens ({(config.Tokenizer == Data.TokenizerKind.Character ? "characters" : "words")})"),
                    new("max length", $"{config.MaxLength} tokens ({ClassificationConfig.TruncationName(config.Truncation)})"),
                    new("dropout", s.Dropout.ToString("0.###")),
                ]);
            }
            case Seq2SeqConfig.TaskName:
            {
                var config = Seq2SeqConfig.FromJson(json, configPath);
                Seq2SeqShape s = config.Shape;
                return new TaskModel(task, new Seq2SeqNetwork(s, new Rng(0)), config.ToJson(json["training"] as JsonObject),
                [
                    new("task", "sequence to sequence (seq2seq)"),
                    new("cell", LanguageModelConfig.CellName(s.Cell)),
                    new("encoder", $"{s.EncoderLayers} layer(s) × {s.EncoderHidden}{(s.Bidirectional ? ", bidirectional" : "")}{(s.ReverseSource ? ", reads sources reversed" : "")}"),
                    new("decoder", $"{s.DecoderLayers} layer(s) × {s.DecoderHidden}"),
                    new("attention", Seq2SeqConfig.AttentionName(s.Attention) + (s.Attention == Nn.AttentionKind.Bahdanau ? $" (size {s.AttentionSize})" : "")),
                    new("embedding size", s.EmbeddingSize.ToString()),
                    new("source vocabulary", $"{s.SourceVocabularySize} tokens ({Seq2SeqConfig.TokenizerName(config.SourceTokenizer)})"),
                    new("target vocabulary", $"{s.TargetVocabularySize} tokens ({Seq2SeqConfig.TokenizerName(config.TargetTokenizer)})"),
                    new("dropout", s.Dropout.ToString("0.###")),
                ]);
            }
            case TaggingConfig.TaskName:
            {
                var config = TaggingConfig.FromJson(json, configPath);
                TaggerShape s = config.Shape;
                return new TaskModel(task, new TaggerNetwork(s, new Rng(0)), config.ToJson(json["training"] as JsonObject),
                [
                    new("task", "sequence tagger (tag)"),
                    new("tokens", TaggingConfig.RepresentationName(s.Representation) + (s.UsesCharacters ? $" (character encoder {s.CharacterEmbeddingSize} → 2 × {s.CharacterHiddenSize})" : "")),
                    new("cell", LanguageModelConfig.CellName(s.Cell)),
                    new("layers", $"{s.Layers} × {s.HiddenSize}{(s.Bidirectional ? ", bidirectional" : "")}"),
                    new("tags", $"{s.Tags} ({string.Join(", ", config.Tags.Take(12))}{(config.Tags.Count > 12 ? ", …" : "")}); spans {(config.RawSpans ? "raw" : "chunks")}"),
                    new("vocabulary", $"{s.VocabularySize} tokens, {s.CharacterVocabularySize} characters"),
                    new("dropout", s.Dropout.ToString("0.###")),
                ]);
            }
            case CaptionConfig.TaskName:
            {
                var config = CaptionConfig.FromJson(json, configPath);
                CaptionShape s = config.Shape;
                return new TaskModel(task, new CaptionNetwork(s, new Rng(0)), config.ToJson(json["training"] as JsonObject),
                [
                    new("task", "captioner (caption)"),
                    new("features", $"[{s.FeatureCells}, {s.FeatureSize}] per image ({config.Features switch { FeatureSource.Pixels => $"pixels, {config.ImageSize}×{config.ImageSize} in {config.PatchSize}×{config.PatchSize} cells", FeatureSource.Onnx => $"ONNX model {config.OnnxModel}", _ => "safetensors" }})"),
                    new("cell", LanguageModelConfig.CellName(s.Cell)),
                    new("decoder", $"{s.Layers} layer(s) × {s.HiddenSize}"),
                    new("attention", CaptionConfig.AttentionName(s.Attention)),
                    new("embedding size", s.EmbeddingSize.ToString()),
                    new("vocabulary", $"{s.VocabularySize} words"),
                    new("dropout", s.Dropout.ToString("0.###")),
                ]);
            }
            default:
                throw new RecurrentDataException($"{configPath}: task '{task}' is unknown; expected one of {string.Join(", ", Tasks)}.");
        }
    }

    /// <summary>Loads a model folder (config.json and model.safetensors), checking the weights strictly.</summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing, damaged, or the weights do not match the config.</exception>
    public static TaskModel Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass a folder written by 'rnn … train' or 'rnn import pytorch' (it holds config.json and model.safetensors).");
        string configPath = Path.Combine(folder, RunFiles.Config);
        TaskModel model = FromConfig(configPath);
        string weights = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weights))
            throw new RecurrentDataException($"{weights}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        StateDict.LoadStrict(model.Network, SafeTensors.Read(weights), configPath);
        return model;
    }

    /// <summary>
    /// Builds a model folder from weights saved by PyTorch: reads <paramref name="configPath"/>, checks the
    /// weights strictly against it (F16/BF16 converted to float32), and writes config.json and model.safetensors
    /// into <paramref name="outputFolder"/> (created if needed; each file replaced atomically).
    /// </summary>
    /// <exception cref="RecurrentDataException">The config or weights are missing, damaged, or do not match.</exception>
    public static TaskModel Import(string weightsPath, string configPath, string outputFolder)
    {
        if (!File.Exists(weightsPath))
            throw new RecurrentDataException($"{weightsPath}: file not found; pass the safetensors file written by safetensors.torch.save_file(model.state_dict(), …).");
        TaskModel model = FromConfig(configPath);
        StateDict.LoadStrict(model.Network, SafeTensors.Read(weightsPath), configPath);
        Directory.CreateDirectory(outputFolder);
        SafeTensors.Write(Path.Combine(outputFolder, RunFiles.Model),
            model.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList(),
            new Dictionary<string, string> { ["format"] = "pt" });
        RunFiles.WriteJsonAtomic(Path.Combine(outputFolder, RunFiles.Config), model.Config);
        return model;
    }
}
