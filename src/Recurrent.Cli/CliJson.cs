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

/// <summary><c>rnn lm eval --json</c>.</summary>
internal sealed record LmEvalResult(
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("bpc")] double Bpc,
    [property: JsonPropertyName("perplexity")] double Perplexity,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("unknown")] int Unknown);

/// <summary><c>rnn lm sample --json</c>.</summary>
internal sealed record SampleResult(
    [property: JsonPropertyName("prime")] string Prime,
    [property: JsonPropertyName("text")] string Text);

/// <summary>A line of <c>rnn bench train|infer --json</c>.</summary>
internal sealed record ModelBenchResult(
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("tokens_per_s")] double TokensPerSecond,
    [property: JsonPropertyName("gflops")] double Gflops,
    [property: JsonPropertyName("peak_rss_mib")] double PeakRssMib);

/// <summary><c>rnn bench generate --json</c>.</summary>
internal sealed record GenerateBenchResult(
    [property: JsonPropertyName("config")] string Config,
    [property: JsonPropertyName("threads")] int Threads,
    [property: JsonPropertyName("us_per_token")] double UsPerToken,
    [property: JsonPropertyName("precision")] string Precision);

[JsonSerializable(typeof(GemmResult))]
[JsonSerializable(typeof(GenerateBenchResult))]
[JsonSerializable(typeof(ModelBenchResult))]
[JsonSerializable(typeof(LmEvalResult))]
[JsonSerializable(typeof(SampleResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
