// Options shared by several commands, declared once so names and help read the same everywhere.
using System.CommandLine;
using System.CommandLine.Parsing;
using Recurrent.Tensors;

namespace Recurrent.Cli.Commands;

internal static class CommonOptions
{
    /// <summary><c>--threads N</c>: kernel threads, default all cores.</summary>
    public static Option<int?> Threads() => new("--threads")
    {
        Description = $"Threads for the kernels (1…256; default: all {Environment.ProcessorCount} cores).",
        CustomParser = result => ParseInt(result, "--threads", 1, 256),
    };

    /// <summary>Parses one integer token in [min, max], reporting a message that names the option.</summary>
    public static int? ParseInt(ArgumentResult result, string option, int min, int max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (!int.TryParse(text, out int value))
        {
            result.AddError($"{option} expects a whole number from {min} to {max}; got '{text}'.");
            return null;
        }
        if (value < min || value > max)
        {
            result.AddError($"{option} must be between {min} and {max}; got {value}.");
            return null;
        }
        return value;
    }

    /// <summary>--no-ngram: the network alone, for a language model that mixes in an n-gram model.</summary>
    public static Option<bool> NoNGram(string description) => new("--no-ngram") { Description = description };

    /// <summary><c>--precision fp32|bf16|int8</c>: weights of the generation path.</summary>
    public static Option<string?> Precision() => new("--precision")
    {
        Description = "Weights of the token-by-token path: fp32 (default), bf16 (half the memory traffic, float32 arithmetic) " +
            "or int8 (a quarter of it: a scale per row, as PyTorch's dynamic quantization, integer sums).",
    };

    public static Recurrent.Tasks.LanguageModel.WeightPrecision ParsePrecision(string? text) => text switch
    {
        null or "fp32" => Recurrent.Tasks.LanguageModel.WeightPrecision.Float32,
        "bf16" => Recurrent.Tasks.LanguageModel.WeightPrecision.BFloat16,
        "int8" => Recurrent.Tasks.LanguageModel.WeightPrecision.Int8,
        _ => throw new ArgumentException($"--precision must be fp32, bf16 or int8; got '{text}'."),
    };

    /// <summary>The name <c>--precision</c> takes for <paramref name="precision"/>.</summary>
    public static string PrecisionName(Recurrent.Tasks.LanguageModel.WeightPrecision precision) => precision switch
    {
        Recurrent.Tasks.LanguageModel.WeightPrecision.BFloat16 => "bf16",
        Recurrent.Tasks.LanguageModel.WeightPrecision.Int8 => "int8",
        _ => "fp32",
    };

    public static void ApplyThreads(int? threads)
    {
        if (threads is int t) Parallelism.ThreadCount = t;
    }
}
