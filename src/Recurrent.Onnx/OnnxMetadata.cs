// metadata_props of an exported model: what a serving program needs besides the graph (task, cell,
// vocabulary, labels), as strings; lists are JSON arrays.
using System.Text.Json.Nodes;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Onnx;

internal static class OnnxMetadata
{
    public static IEnumerable<KeyValuePair<string, string>> For(string task, CellKind cell, IReadOnlyList<string> vocabulary, IReadOnlyList<string>? labels)
    {
        yield return new("task", task);
        yield return new("cell", LanguageModelConfig.CellName(cell));
        yield return new("vocabulary", Json(vocabulary));
        if (labels is not null) yield return new("labels", Json(labels));
    }

    public static string Json(IReadOnlyList<string> items) =>
        new JsonArray(items.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()).ToJsonString();
}
