// A small builder over the generated ONNX protobuf classes: graph inputs and outputs with symbolic
// dimensions, float and int64 initializers, and nodes with unique output names. Everything the exporters
// emit goes through it, so names never collide and every tensor is written little-endian as raw data.
using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace Recurrent.Onnx;

/// <summary>Builds one ONNX graph (opset 17, the default domain).</summary>
internal sealed class OnnxGraph
{
    /// <summary>The operator set the exporters target.</summary>
    public const long Opset = 17;

    /// <summary>IR version 8 is the one that came with opset 17.</summary>
    public const long IrVersion = 8;

    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _constants = new(StringComparer.Ordinal);
    private int _counter;

    public OnnxGraph(string name) => _graph = new GraphProto { Name = name };

    /// <summary>A graph input; a dimension is a name (symbolic, e.g. "batch") or a number.</summary>
    public string Input(string name, DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(Claim(name), type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as a graph output (renamed through Identity to <paramref name="name"/>).</summary>
    public void Output(string value, string name, DataType type, params object[] dims)
    {
        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = Claim(name) + "_out", Input = { value }, Output = { name } });
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float initializer with the given shape (data row-major).</summary>
    public string Floats(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        if (data.Length != dims.Aggregate(1L, (a, d) => a * d))
            throw new ArgumentException($"Initializer '{name}': {data.Length} values do not fill shape [{string.Join(", ", dims)}].", nameof(data));
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        return Initializer(name, DataType.Float, bytes, dims);
    }

    /// <summary>An int64 initializer; a rank-1 tensor unless <paramref name="scalar"/>. Asking again for the same name and values returns the same one.</summary>
    public string Int64s(string name, long[] data, bool scalar = false)
    {
        if (_constants.TryGetValue(name, out long[]? existing) && existing.SequenceEqual(data)) return name;
        _constants[name] = data;
        var bytes = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), data[i]);
        return Initializer(name, DataType.Int64, bytes, scalar ? [] : [data.Length]);
    }

    /// <summary>Adds a node with one output and returns that output's name.</summary>
    public string Node(string opType, string[] inputs, params AttributeProto[] attributes) =>
        NodeMulti(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] NodeMulti(string opType, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        string baseName = $"{opType}_{_counter++}";
        var node = new NodeProto { OpType = opType, Name = Claim(baseName), Input = { inputs } };
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Claim($"{baseName}_out{i}");
        node.Output.Add(names);
        node.Attribute.Add(attributes);
        _graph.Node.Add(node);
        return names;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Texts(string name, params string[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Strings, Strings = { values.Select(ByteString.CopyFromUtf8) } };

    /// <summary>The finished model: this graph, opset 17, with the producer and a description.</summary>
    public ModelProto ToModel(string docString, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Recurrent",
            ProducerVersion = typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "",
            DocString = docString,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private string Initializer(string name, DataType type, byte[] bytes, long[] dims)
    {
        var tensor = new TensorProto { Name = Claim(name), DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.Add(dims);
        _graph.Initializer.Add(tensor);
        return name;
    }

    private string Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX graph '{_graph.Name}': the name '{name}' is used twice.");
        return name;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                _ => throw new ArgumentException($"A dimension must be a name or a number; got {d}.", nameof(dims)),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
