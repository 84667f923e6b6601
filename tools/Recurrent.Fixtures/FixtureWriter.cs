// Writes one oracle fixture as JSON: metadata, a "config" object and named float32 tensors, each
// {"shape": [...], "data": [flat row-major floats]} on its own line so that diffs stay readable.
// Floats use the shortest round-trip form, so the file holds the exact float32 values.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurrent.Fixtures;

internal sealed class FixtureWriter
{
    public const string GeneratorName = "Recurrent.Fixtures";

    private readonly int _seed;
    private readonly JsonObject _config;
    private readonly List<(string Name, long[] Shape, float[] Data)> _tensors = [];

    public FixtureWriter(int seed, JsonObject config)
    {
        _seed = seed;
        _config = config;
    }

    /// <summary>Records a copy of the tensor's current values under the given name.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (tensor.dtype != ScalarType.Float32)
            throw new ArgumentException($"Fixture tensor '{name}': expected float32, got {tensor.dtype}; convert it first.", nameof(tensor));
        if (_tensors.Exists(t => t.Name == name))
            throw new ArgumentException($"Fixture tensor '{name}' was added twice; every name must be unique.", nameof(name));
        using var values = tensor.detach().contiguous().cpu();
        float[] data = values.data<float>().ToArray();
        foreach (float x in data)
            if (!float.IsFinite(x))
                throw new InvalidOperationException($"Fixture tensor '{name}' holds {x}; fixtures must be finite, pick another seed.");
        _tensors.Add((name, tensor.shape, data));
    }

    public void Save(string path)
    {
        var text = new StringBuilder();
        text.Append('{');
        text.Append("\"generator\":").Append(JsonSerializer.Serialize(GeneratorName)).Append(',');
        text.Append("\"torchsharp_version\":").Append(JsonSerializer.Serialize(Libtorch.TorchSharpVersion)).Append(',');
        text.Append("\"torch_version\":").Append(JsonSerializer.Serialize(Libtorch.TorchVersion)).Append(',');
        text.Append("\"seed\":").Append(_seed.ToString(CultureInfo.InvariantCulture)).Append(",\n");
        text.Append("\"config\":").Append(_config.ToJsonString()).Append(",\n");
        text.Append("\"tensors\":{\n");
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (name, shape, data) = _tensors[i];
            text.Append(JsonSerializer.Serialize(name)).Append(":{\"shape\":[");
            text.AppendJoin(',', shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
            text.Append("],\"data\":[");
            text.AppendJoin(',', data.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
            text.Append("]}").Append(i + 1 < _tensors.Count ? ",\n" : "\n");
        }
        text.Append("}}\n");
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }
}
