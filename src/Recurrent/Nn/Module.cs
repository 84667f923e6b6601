// The module tree: a module lists its parameters under PyTorch's dotted names, explicitly (no
// reflection). Modules hold parameters only; train/eval mode lives on the Tape (Tape.Training), and
// recurrent state goes in and out of calls as records.
using Recurrent.Autograd;

namespace Recurrent.Nn;

/// <summary>A named parameter, e.g. <c>encoder.rnn.weight_hh_l1_reverse</c>.</summary>
public readonly record struct NamedParameter(string Name, Parameter Parameter);

/// <summary>A layer or model that owns parameters.</summary>
public interface IModule
{
    /// <summary>Adds this module's parameters to <paramref name="into"/>, each name prefixed with <paramref name="prefix"/> (empty or ending in '.').</summary>
    void CollectParameters(string prefix, List<NamedParameter> into);
}

/// <summary>Helpers over the module tree.</summary>
public static class ModuleExtensions
{
    /// <summary>Every parameter with its dotted name, in registration order.</summary>
    public static IReadOnlyList<NamedParameter> NamedParameters(this IModule module, string prefix = "")
    {
        var list = new List<NamedParameter>();
        module.CollectParameters(prefix, list);
        return list;
    }

    /// <summary>Every parameter, in registration order.</summary>
    public static IReadOnlyList<Parameter> Parameters(this IModule module) =>
        module.NamedParameters().Select(p => p.Parameter).ToArray();

    /// <summary>Zeroes every parameter's gradient.</summary>
    public static void ZeroGrad(this IModule module)
    {
        foreach (var p in module.NamedParameters()) p.Parameter.ZeroGrad();
    }
}
