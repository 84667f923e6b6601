// JSON output records of `rnn caption`, serialized with source generation (no reflection at run time).
using System.Text.Json.Serialization;

namespace Recurrent.Cli;

/// <summary><c>rnn caption eval --json</c>.</summary>
internal sealed record CaptionEvalResult(
    [property: JsonPropertyName("bleu1")] double Bleu1,
    [property: JsonPropertyName("bleu2")] double Bleu2,
    [property: JsonPropertyName("bleu3")] double Bleu3,
    [property: JsonPropertyName("bleu4")] double Bleu4,
    [property: JsonPropertyName("brevity_penalty")] double BrevityPenalty,
    [property: JsonPropertyName("exact_match")] double ExactMatch,
    [property: JsonPropertyName("images")] int Images,
    [property: JsonPropertyName("beam")] int Beam);

/// <summary>A line of <c>rnn caption predict --json</c>.</summary>
internal sealed record CaptionPredictResult(
    [property: JsonPropertyName("image")] string Image,
    [property: JsonPropertyName("caption")] string Caption);

[JsonSerializable(typeof(CaptionEvalResult))]
[JsonSerializable(typeof(CaptionPredictResult))]
internal sealed partial class CaptionJsonContext : JsonSerializerContext;
