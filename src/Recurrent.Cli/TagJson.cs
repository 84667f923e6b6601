// JSON output records of `rnn tag`, serialized with source generation (no reflection at run time).
using System.Text.Json.Serialization;

namespace Recurrent.Cli;

/// <summary>Per-type span figures in <c>rnn tag eval --json</c>.</summary>
internal sealed record SpanScoreResult(
    [property: JsonPropertyName("precision")] double Precision,
    [property: JsonPropertyName("recall")] double Recall,
    [property: JsonPropertyName("f1")] double F1,
    [property: JsonPropertyName("support")] int Support);

/// <summary><c>rnn tag eval --json</c>: conlleval's figures.</summary>
internal sealed record TagEvalResult(
    [property: JsonPropertyName("token_accuracy")] double TokenAccuracy,
    [property: JsonPropertyName("span_precision")] double SpanPrecision,
    [property: JsonPropertyName("span_recall")] double SpanRecall,
    [property: JsonPropertyName("span_f1")] double SpanF1,
    [property: JsonPropertyName("per_type")] Dictionary<string, SpanScoreResult> PerType,
    [property: JsonPropertyName("tokens")] int Tokens,
    [property: JsonPropertyName("gold_spans")] int GoldSpans,
    [property: JsonPropertyName("predicted_spans")] int PredictedSpans,
    [property: JsonPropertyName("correct_spans")] int CorrectSpans,
    [property: JsonPropertyName("spans")] string Spans);

/// <summary>A line of <c>rnn tag predict --json</c>.</summary>
internal sealed record TagPredictResult(
    [property: JsonPropertyName("tokens")] string[] Tokens,
    [property: JsonPropertyName("tags")] string[] Tags);

[JsonSerializable(typeof(TagEvalResult))]
[JsonSerializable(typeof(TagPredictResult))]
internal sealed partial class TagJsonContext : JsonSerializerContext;
