// JSON output records of the CLI, serialized with source generation (no reflection at run time).
using System.Text.Json.Serialization;

namespace Recurrent.Cli;

/// <summary>A line of <c>rnn bench gemm --json</c>.</summary>
internal sealed record GemmResult(
    [property: JsonPropertyName("kernel")] string Kernel,
    [property: JsonPropertyName("m")] int M,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("k")] int K,
    [property: JsonPropertyName("trans")] string Trans,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("gflops")] double Gflops);

[JsonSerializable(typeof(GemmResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
