namespace Recurrent.Tests;

/// <summary>Tests that change process-wide settings (thread count, GEMM kernel) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalStateCollection
{
    public const string Name = "Global state";
}
