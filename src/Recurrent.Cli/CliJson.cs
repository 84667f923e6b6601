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
    [property: JsonPropertyName("unknown")] int Unknown,
    [property: JsonPropertyName("ngram_weight")] double? NGramWeight,
    [property: JsonPropertyName("ngram_product")] double[]? NGramProduct = null);

/// <summary><c>rnn lm calibrate --json</c>.</summary>
internal sealed record LmCalibrateResult(
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("loss_before")] double LossBefore,
    [property: JsonPropertyName("loss_after")] double LossAfter,
    [property: JsonPropertyName("bpc_before")] double BpcBefore,
    [property: JsonPropertyName("bpc_after")] double BpcAfter,
    [property: JsonPropertyName("ngram_weight")] double? NGramWeight,
    [property: JsonPropertyName("loss_ngram")] double? LossNGram,
    [property: JsonPropertyName("bpc_ngram")] double? BpcNGram,
    [property: JsonPropertyName("ngram_product")] double[]? NGramProduct = null);

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

/// <summary><c>rnn classify predict --json</c>.</summary>
internal sealed record PredictResult(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("probability")] double Probability,
    [property: JsonPropertyName("probabilities")] Dictionary<string, double> Probabilities);

/// <summary>Per-class figures in <c>rnn classify eval --json</c>.</summary>
internal sealed record ClassScoreResult(
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support);

/// <summary><c>rnn classify eval --json</c>.</summary>
internal sealed record ClassifyEvalResult(
    [property: JsonPropertyName("accuracy")] double Accuracy,
    [property: JsonPropertyName("macro_f1")] double MacroF1,
    [property: JsonPropertyName("per_class")] Dictionary<string, ClassScoreResult> PerClass,
    [property: JsonPropertyName("confusion")] int[][] Confusion,
    [property: JsonPropertyName("labels")] string[] Labels,
    [property: JsonPropertyName("examples")] int Examples);

/// <summary>A line of <c>rnn seq2seq translate --json</c>.</summary>
internal sealed record TranslateResult(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("tokens")] string[] Tokens,
    [property: JsonPropertyName("log_probability")] double LogProbability);

/// <summary><c>rnn seq2seq eval --json</c>.</summary>
internal sealed record Seq2SeqEvalResult(
    [property: JsonPropertyName("exact_match")] double ExactMatch,
    [property: JsonPropertyName("ser")] double Ser,
    [property: JsonPropertyName("ter")] double Ter,
    [property: JsonPropertyName("bleu")] double Bleu,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("beam")] int Beam);

[JsonSerializable(typeof(GemmResult))]
[JsonSerializable(typeof(TranslateResult))]
[JsonSerializable(typeof(Seq2SeqEvalResult))]
[JsonSerializable(typeof(PredictResult))]
[JsonSerializable(typeof(ClassifyEvalResult))]
[JsonSerializable(typeof(GenerateBenchResult))]
[JsonSerializable(typeof(ModelBenchResult))]
[JsonSerializable(typeof(LmEvalResult))]
[JsonSerializable(typeof(LmCalibrateResult))]
[JsonSerializable(typeof(SampleResult))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
