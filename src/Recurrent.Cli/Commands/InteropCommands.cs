// `rnn export onnx`, `rnn import pytorch` and `rnn info`: moving models out of and into Recurrent, and
// looking inside a model folder.
using System.CommandLine;
using System.Text.Json.Nodes;
using Recurrent.Interop;
using Recurrent.Nn;
using Recurrent.Onnx;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class InteropCommands
{
    public static Command Export()
    {
        var model = new Option<string>("--model") { Description = "Model folder (config.json + model.safetensors) of a language model or classifier.", Required = true };
        var output = new Option<string>("--out") { Description = "The .onnx file to write (replaced atomically).", Required = true };
        var graph = new Option<string?>("--graph")
        {
            Description = "Language models: 'sequence' (default; tokens [T, B] → logits [T, B, V]) or 'step' (token [B] → logits [B, V]), both with state in and out. "
                + "Seq2seq models: 'encoder' or 'decoder' (one decoder step); required. Classifiers have one graph.",
        };
        graph.AcceptOnlyFromAmong("sequence", "step", "encoder", "decoder");
        var onnx = new Command("onnx", "Export a model to ONNX (opset 17, standard LSTM/GRU/RNN operators) for ONNX Runtime.") { model, output, graph };
        onnx.SetAction(parse =>
        {
            ExportGraph? form = parse.GetValue(graph) switch
            {
                null => null,
                "sequence" => ExportGraph.Sequence,
                "step" => ExportGraph.Step,
                "encoder" => ExportGraph.Encoder,
                _ => ExportGraph.Decoder,
            };
            string outPath = parse.GetValue(output)!;
            OnnxExportResult result = OnnxExport.Export(parse.GetValue(model)!, outPath, form);
            parse.InvocationConfiguration.Output.WriteLine(
                $"{outPath}: {result.Task} model, {result.Bytes:N0} bytes; inputs {string.Join(", ", result.Inputs)}; outputs {string.Join(", ", result.Outputs)}");
            if (File.Exists(Path.Combine(parse.GetValue(model)!, Recurrent.Training.RunFiles.NGramText)))
                parse.InvocationConfiguration.Error.WriteLine(
                    $"note: the model's n-gram mixture ({Recurrent.Training.RunFiles.NGramText}) is not part of the graph; the graph computes the network alone, as 'rnn lm eval --no-ngram' scores it.");
            return ExitCodes.Success;
        });
        return new Command("export", "Export a trained model to another format.") { onnx };
    }

    public static Command Import()
    {
        var weights = new Option<string>("--weights") { Description = "safetensors file saved from PyTorch (F32, F16 or BF16), e.g. safetensors.torch.save_file(model.state_dict(), …).", Required = true };
        var config = new Option<string>("--config") { Description = "config.json describing the model (task, cell, sizes, vocabulary); see docs/interop.md.", Required = true };
        var output = new Option<string>("--out") { Description = "Model folder to write (config.json + model.safetensors).", Required = true };
        var pytorch = new Command("pytorch", "Build a model folder from PyTorch weights, checking names and shapes strictly.") { weights, config, output };
        pytorch.SetAction(parse =>
        {
            string outFolder = parse.GetValue(output)!;
            TaskModel model = ModelFolder.Import(parse.GetValue(weights)!, parse.GetValue(config)!, outFolder);
            long total = model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length);
            parse.InvocationConfiguration.Output.WriteLine($"{outFolder}: {model.Task} model, {model.Network.NamedParameters().Count} tensors, {total:N0} parameters imported.");
            return ExitCodes.Success;
        });
        return new Command("import", "Import a model trained elsewhere.") { pytorch };
    }

    public static Command Info()
    {
        var model = new Argument<string>("MODEL") { Description = "Model folder (config.json + model.safetensors)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: task, config, parameters, total." };
        var command = new Command("info", "Show a model's task, configuration and parameters with their shapes.") { model, json };
        command.SetAction(parse =>
        {
            TaskModel loaded = ModelFolder.Load(parse.GetValue(model)!);
            IReadOnlyList<NamedParameter> parameters = loaded.Network.NamedParameters();
            long total = parameters.Sum(p => (long)p.Parameter.Value.Length);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var summary = new JsonObject();
                foreach (var (key, value) in loaded.Summary) summary[key] = value;
                var list = new JsonArray(parameters.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name,
                    ["shape"] = new JsonArray(p.Parameter.Value.Shape.ToArray().Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                    ["count"] = p.Parameter.Value.Length,
                }).ToArray());
                output.WriteLine(new JsonObject { ["task"] = loaded.Task, ["summary"] = summary, ["parameters"] = list, ["total"] = total }.ToJsonString());
                return ExitCodes.Success;
            }
            int keyWidth = loaded.Summary.Max(s => s.Key.Length);
            foreach (var (key, value) in loaded.Summary) output.WriteLine($"{key.PadRight(keyWidth)}  {value}");
            output.WriteLine();
            int nameWidth = parameters.Max(p => p.Name.Length);
            int shapeWidth = parameters.Max(p => p.Parameter.Value.ShapeText.Length);
            foreach (var (name, parameter) in parameters)
                output.WriteLine($"{name.PadRight(nameWidth)}  {parameter.Value.ShapeText.PadRight(shapeWidth)}  {parameter.Value.Length,12:N0}");
            output.WriteLine($"{"total".PadRight(nameWidth + shapeWidth + 2)}  {total,12:N0}");
            return ExitCodes.Success;
        });
        return command;
    }
}
