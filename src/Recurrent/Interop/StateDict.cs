// Loading weights by name into a module, like PyTorch's load_state_dict(strict=True): every parameter must
// be present with its exact shape, and nothing else may be. All problems are collected and reported at once
// (missing, unexpected, mis-shaped), so a user fixing a config sees everything in one message.
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Interop;

/// <summary>Strict name-and-shape loading of a safetensors file into a module.</summary>
public static class StateDict
{
    /// <summary>
    /// Copies every tensor of <paramref name="file"/> into the parameter of the same name, after checking
    /// that the names match exactly and every shape agrees.
    /// </summary>
    /// <param name="module">The module whose parameters are filled.</param>
    /// <param name="file">The weights, e.g. from <c>safetensors.torch.save_file(model.state_dict(), …)</c>.</param>
    /// <param name="expectedFrom">What fixed the expected names and shapes, for the message (e.g. the config path).</param>
    /// <exception cref="RecurrentDataException">A tensor is missing, unexpected or has another shape; nothing is copied then.</exception>
    public static void LoadStrict(IModule module, SafeTensorsFile file, string expectedFrom)
    {
        IReadOnlyList<NamedParameter> parameters = module.NamedParameters();
        var expected = parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = parameters.Where(p => !file.Contains(p.Name)).Select(p => p.Name).ToList();
        var unexpected = file.Names.Where(n => !expected.Contains(n)).ToList();
        var misShaped = parameters.Where(p => file.Contains(p.Name) && !file[p.Name].SameShape(p.Parameter.Value))
            .Select(p => $"{p.Name} is {file[p.Name].ShapeText} in the file but {expectedFrom} needs {p.Parameter.Value.ShapeText}").ToList();
        if (missing.Count + unexpected.Count + misShaped.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count} tensor(s): {string.Join(", ", missing)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count} tensor(s): {string.Join(", ", unexpected)}");
            if (misShaped.Count > 0) parts.Add($"{misShaped.Count} tensor(s) of the wrong shape: {string.Join("; ", misShaped)}");
            throw new RecurrentDataException($"{file.Path}: the weights do not match {expectedFrom} ({string.Join(". ", parts)}). " +
                "Check cell, layers, hidden_size, embedding_size, bidirectional and pooling in the config against the PyTorch module, and that the module's attribute names are the ones in docs/interop.md.");
        }
        foreach (var (name, parameter) in parameters)
        {
            Tensor saved = file[name];
            saved.Span.CopyTo(parameter.Value.Span);
        }
    }
}
