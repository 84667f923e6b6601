// The contents of a safetensors file once read: float32 tensors by name, in the order the header lists
// them, and the string metadata map.
using Recurrent.Tensors;

namespace Recurrent.Interop;

/// <summary>The tensors and metadata read from a safetensors file by <see cref="SafeTensors.Read"/>.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, Tensor> _tensors;

    internal SafeTensorsFile(string path, IReadOnlyList<string> names, Dictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        Names = names;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file the tensors came from.</summary>
    public string Path { get; }

    /// <summary>Tensor names in the order the file's header lists them (<c>__metadata__</c> excluded).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// The tensor called <paramref name="name"/>, as float32 with the file's shape (F16 and BF16 converted
    /// exactly). Every call returns the same instance, so changes to it are seen by later calls.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public Tensor this[string name]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(name);
            if (_tensors.TryGetValue(name, out Tensor? tensor)) return tensor;
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'; the file holds {Names.Count} tensors{(Names.Count > 0 ? $", e.g. '{Names[0]}'" : "")}. Check the name with Contains or Names.");
        }
    }

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _tensors.ContainsKey(name);
    }
}
