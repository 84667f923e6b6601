// Entry point of the ONNX export: reads a model folder (config.json + model.safetensors), builds the graph
// for its task and writes it atomically (temporary file in the same folder, flushed, renamed).
using System.Text.Json.Nodes;
using Google.Protobuf;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Training;

namespace Recurrent.Onnx;

/// <summary>What was exported.</summary>
/// <param name="Task">The model's task ("lm", "classify").</param>
/// <param name="Inputs">The graph's input names.</param>
/// <param name="Outputs">The graph's output names.</param>
/// <param name="Bytes">The size of the written file.</param>
public sealed record OnnxExportResult(string Task, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, long Bytes);

/// <summary>Exports trained models to ONNX (opset 17, standard LSTM/GRU/RNN operators), for ONNX Runtime.</summary>
public static class OnnxExport
{
    /// <summary>Exports the model in <paramref name="modelFolder"/> to <paramref name="outputPath"/>.</summary>
    /// <param name="modelFolder">A folder with config.json and model.safetensors.</param>
    /// <param name="outputPath">The .onnx file to write; replaced atomically.</param>
    /// <param name="graph">Which graph: language models <see cref="ExportGraph.Sequence"/> (default) or <see cref="ExportGraph.Step"/>;
    /// classifiers their one graph (null or Sequence); seq2seq models <see cref="ExportGraph.Encoder"/> or <see cref="ExportGraph.Decoder"/> (required).</param>
    /// <exception cref="RecurrentDataException">The folder is missing, or its config or weights are damaged or do not match.</exception>
    /// <exception cref="ArgumentException">The graph does not exist for the model's task.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="outputPath"/> does not exist.</exception>
    public static OnnxExportResult Export(string modelFolder, string outputPath, ExportGraph? graph = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelFolder);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        string outputFolder = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        if (!Directory.Exists(outputFolder))
            throw new DirectoryNotFoundException($"{outputPath}: the folder {outputFolder} does not exist; create it first or write the .onnx file elsewhere.");
        global::Onnx.ModelProto model = Build(modelFolder, graph);
        byte[] bytes = model.ToByteArray();
        RunFiles.WriteBytesAtomic(outputPath, bytes);
        return new OnnxExportResult(model.MetadataProps.First(p => p.Key == "task").Value,
            model.Graph.Input.Select(i => i.Name).ToArray(), model.Graph.Output.Select(o => o.Name).ToArray(), bytes.Length);
    }

    /// <summary>The language model's graph.</summary>
    public static byte[] ToBytes(LanguageModel model, ExportGraph graph) => LanguageModelExport.Build(model, graph).ToByteArray();

    /// <summary>The seq2seq model's encoder graph.</summary>
    public static byte[] EncoderBytes(Seq2SeqModel model) => Seq2SeqExport.BuildEncoder(model).ToByteArray();

    /// <summary>The seq2seq model's one-step decoder graph.</summary>
    public static byte[] DecoderStepBytes(Seq2SeqModel model) => Seq2SeqExport.BuildDecoderStep(model).ToByteArray();

    /// <summary>The classifier's graph.</summary>
    public static byte[] ToBytes(Classifier classifier) => ClassifierExport.Build(classifier).ToByteArray();

    private static global::Onnx.ModelProto Build(string modelFolder, ExportGraph? graph)
    {
        if (!Directory.Exists(modelFolder))
            throw new RecurrentDataException($"{modelFolder}: model folder not found; pass the --out folder of a 'rnn … train' run (it holds config.json and model.safetensors).");
        string configPath = Path.Combine(modelFolder, RunFiles.Config);
        JsonObject config = RunFiles.ReadJsonObject(configPath);
        string task = config["task"] is JsonValue value && value.TryGetValue(out string? name) ? name : "";
        try
        {
            return BuildTask(modelFolder, configPath, task, graph);
        }
        catch (NotSupportedException e)
        {
            // A model whose parts have no ONNX operator (the layer-normalised LSTM's cell).
            throw new RecurrentDataException($"{configPath}: {e.Message}", e);
        }
    }

    private static global::Onnx.ModelProto BuildTask(string modelFolder, string configPath, string task, ExportGraph? graph)
    {
        return task switch
        {
            LanguageModelConfig.TaskName => graph is null or ExportGraph.Sequence or ExportGraph.Step
                ? LanguageModelExport.Build(LanguageModel.Load(modelFolder, withNGram: false), graph ?? ExportGraph.Sequence)
                : throw WrongGraph(task, graph.Value, "sequence (default) or step"),
            ClassificationConfig.TaskName => graph is null or ExportGraph.Sequence
                ? ClassifierExport.Build(Classifier.Load(modelFolder))
                : throw WrongGraph(task, graph.Value, "none (a classifier has one graph)"),
            Seq2SeqConfig.TaskName => graph switch
            {
                ExportGraph.Encoder => Seq2SeqExport.BuildEncoder(Seq2SeqModel.Load(modelFolder)),
                ExportGraph.Decoder => Seq2SeqExport.BuildDecoderStep(Seq2SeqModel.Load(modelFolder)),
                null => throw new ArgumentException($"{modelFolder}: a seq2seq model exports as two graphs; pick one with --graph encoder or --graph decoder (run the export twice for both)."),
                _ => throw WrongGraph(task, graph.Value, "encoder or decoder"),
            },
            _ => throw new RecurrentDataException($"{configPath}: task '{task}' cannot be exported to ONNX; expected '{LanguageModelConfig.TaskName}', '{ClassificationConfig.TaskName}' or '{Seq2SeqConfig.TaskName}'."),
        };
    }

    private static ArgumentException WrongGraph(string task, ExportGraph graph, string expected) =>
        new($"--graph {graph.ToString().ToLowerInvariant()} does not apply to a '{task}' model; expected {expected}.");
}
