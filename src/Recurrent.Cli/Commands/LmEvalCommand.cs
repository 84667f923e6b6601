// `rnn lm eval`: scores a text with a trained language model.
using System.CommandLine;
using System.Text.Json;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class LmEvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn lm train'.", Required = true };
        var data = new Option<string>("--data") { Description = "UTF-8 text to score.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: loss, bpc, perplexity, tokens, unknown, ngram_weight, ngram_product." };
        var noNGram = CommonOptions.NoNGram("Score with the network alone, ignoring the model's n-gram mixture (what an exported model computes).");
        var threads = CommonOptions.Threads();
        var precision = CommonOptions.Precision();
        var dynamic = new Option<bool>("--dynamic") { Description = "Dynamic evaluation: score the text in order, one stream, learning from each segment after scoring it (Krause et al. 2018)." };
        var dynamicLr = new Option<float?>("--dynamic-lr") { Description = "Dynamic evaluation: step size η (default 1.2e-4 for rms, 0.2 for sgd)." };
        var dynamicDecay = new Option<float?>("--dynamic-decay") { Description = "Dynamic evaluation: pull λ back towards the trained weights per segment (default 0.01 for rms, 0.001 for sgd)." };
        var dynamicSegment = new Option<int?>("--dynamic-segment") { Description = "Dynamic evaluation: tokens per segment (default 50)." };
        var dynamicRule = new Option<string?>("--dynamic-rule") { Description = "Dynamic evaluation: update rule, 'rms' (each weight's step scaled by its RMS gradient on the training text; the default) or 'sgd'." };
        var dynamicStats = new Option<string?>("--dynamic-stats") { Description = "Dynamic evaluation, rule rms: UTF-8 text to gather the RMS gradients on (default: the training text named in the model's config.json)." };
        var dynamicEpsilon = new Option<float?>("--dynamic-epsilon") { Description = "Dynamic evaluation, rule rms: ε, as a fraction of the mean RMS gradient, added to each weight's (default 0.1)." };
        var command = new Command("eval", "Score a text: loss in nats per token, bits per character, perplexity.")
        {
            model, data, json, noNGram, precision, dynamic, dynamicLr, dynamicDecay, dynamicSegment, dynamicRule, dynamicStats, dynamicEpsilon, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            LanguageModel lm = LanguageModel.Load(parse.GetValue(model)!, withNGram: !parse.GetValue(noNGram));
            string dataPath = parse.GetValue(data)!;
            string text = TextFile.ReadUtf8(dataPath);
            int[] ids = lm.Encode(text, out int unknown);
            LmCommand.RequireScorable(dataPath, ids.Length, "give a longer text");
            double charactersPerToken = LanguageModel.CharactersPerToken(text, ids.Length);
            string? precisionText = parse.GetValue(precision);
            NGramMixture? mixture = parse.GetValue(noNGram) ? null : lm.NGram;
            bool isDynamic = parse.GetValue(dynamic);
            if (!isDynamic && (parse.GetValue(dynamicLr) is not null || parse.GetValue(dynamicDecay) is not null || parse.GetValue(dynamicSegment) is not null
                    || parse.GetValue(dynamicRule) is not null || parse.GetValue(dynamicStats) is not null || parse.GetValue(dynamicEpsilon) is not null))
                throw new ArgumentException("--dynamic-lr, --dynamic-decay, --dynamic-segment, --dynamic-rule, --dynamic-stats and --dynamic-epsilon apply to dynamic evaluation only; add --dynamic.");
            if (isDynamic && precisionText is not null)
                throw new ArgumentException("--precision and --dynamic cannot be combined: dynamic evaluation trains in float32.");
            LanguageModelScore score;
            if (isDynamic)
            {
                DynamicEvaluationRule rule = parse.GetValue(dynamicRule) switch
                {
                    null or "rms" => DynamicEvaluationRule.Rms,
                    "sgd" => DynamicEvaluationRule.Sgd,
                    var other => throw new ArgumentException($"--dynamic-rule: '{other}' is not a rule; expected 'sgd' or 'rms'."),
                };
                if (rule != DynamicEvaluationRule.Rms && (parse.GetValue(dynamicStats) is not null || parse.GetValue(dynamicEpsilon) is not null))
                    throw new ArgumentException("--dynamic-stats and --dynamic-epsilon apply to the rms rule only, not to --dynamic-rule sgd.");
                var defaults = DynamicEvaluationOptions.DefaultsFor(rule);
                DynamicEvaluationOptions options;
                try
                {
                    options = new DynamicEvaluationOptions(parse.GetValue(dynamicLr) ?? defaults.LearningRate, parse.GetValue(dynamicDecay) ?? defaults.Decay,
                        parse.GetValue(dynamicSegment) ?? defaults.SegmentLength, defaults.Clip, rule, parse.GetValue(dynamicEpsilon) ?? defaults.Epsilon);
                }
                catch (ArgumentOutOfRangeException e)
                {
                    string name = e.ParamName switch { "learningRate" => "lr", "decay" => "decay", "segmentLength" => "segment", _ => "epsilon" };
                    throw new ArgumentException($"--dynamic-{name}: {e.Message.Split(" (Parameter")[0]}", e);
                }
                DynamicGradientStatistics? statistics = null;
                if (rule == DynamicEvaluationRule.Rms)
                {
                    string? statsPath = parse.GetValue(dynamicStats);
                    string statsText = statsPath is not null ? TextFile.ReadUtf8(statsPath) : TrainingTextOf(parse.GetValue(model)!, parse.InvocationConfiguration.Error);
                    int[] statsIds = lm.Encode(TextFile.Prefix(statsText, StatisticsCharacters), out _);
                    if (statsIds.Length < 3)
                        throw new RecurrentDataException($"{statsPath ?? "the training text named in the model's config.json"}: {statsIds.Length} token(s); " +
                            "the RMS gradients need at least 3 to learn from; give --dynamic-stats a longer text, or --dynamic-rule sgd.");
                    var gathering = FractionProgress.ForConsole("gradient statistics", parse.InvocationConfiguration.Error);
                    statistics = DynamicEvaluation.GradientStatistics(lm.Network, statsIds, options.SegmentLength, progress: gathering.Report);
                }
                var progress = FractionProgress.ForConsole("dynamic evaluation", parse.InvocationConfiguration.Error);
                score = DynamicEvaluation.Evaluate(lm.Network, ids, charactersPerToken, options, progress.Report, statistics, mixture);
            }
            // --precision scores through the generation path (one token at a time), to measure what it costs in quality.
            else score = precisionText is null
                ? LanguageModelEvaluator.Evaluate(lm.Network, ids, charactersPerToken, mixture)
                : LanguageModelEvaluator.EvaluateStreaming(lm.Network, ids, charactersPerToken, CommonOptions.ParsePrecision(precisionText), mixture);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var result = new LmEvalResult(Math.Round(score.Loss, 6), Math.Round(score.BitsPerCharacter, 6), Math.Round(score.Perplexity, 4), score.Tokens, unknown, mixture?.Weight, LmTrainCommand.Exponents(mixture?.Exponents));
                output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.LmEvalResult));
            }
            else
            {
                output.WriteLine($"loss        {score.Loss:F4} nats/token");
                output.WriteLine($"bpc         {score.BitsPerCharacter:F4} bits/character");
                output.WriteLine($"perplexity  {score.Perplexity:F3}");
                output.WriteLine($"tokens      {score.Tokens:N0}");
                output.WriteLine($"unknown     {unknown:N0}");
                output.WriteLine(mixture is null ? "n-gram      none (the network alone)" : $"n-gram      order {mixture.Model.Order}, weight {mixture.Weight:F4}" +
                    (mixture.Exponents is { } e ? $", product with exponents {e.Network:F3} (network), {e.NGram:F3} (n-gram), {e.Linear:F3} (linear mixture)" : ""));
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// Characters of the reference text encoded for gradient statistics: enough for the
    /// <see cref="DynamicEvaluation.DefaultStatisticsTokens"/> they read at any tokenizer's length of token, without
    /// encoding the whole of a large training text.
    /// </summary>
    private const int StatisticsCharacters = 64 * (int)DynamicEvaluation.DefaultStatisticsTokens;

    /// <summary>
    /// The training text of a model folder, as its config.json names it ("training"."data"; null means the
    /// bundled sample). A file that is no longer there is an error that points to --dynamic-stats.
    /// </summary>
    private static string TrainingTextOf(string folder, TextWriter log)
    {
        string path = Path.Combine(folder, "config.json");
        System.Text.Json.Nodes.JsonNode? training;
        try
        {
            training = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))?["training"];
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new RecurrentDataException($"{path}: cannot read the name of the training text ({e.Message}); give --dynamic-stats FILE.", e);
        }
        if (training is not System.Text.Json.Nodes.JsonObject o || !o.ContainsKey("data"))
            throw new ArgumentException($"--dynamic-rule rms gathers gradient statistics on the training text, and {path} does not name it; give --dynamic-stats FILE, or use --dynamic-rule sgd.");
        string? data = o["data"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? name) ? name : null;
        if (data is null)
            return BundledSample.Read(_ => log.WriteLine("gradient statistics on the bundled sample the model was trained on (samples/moby-dick.txt)"));
        if (!File.Exists(data))
            throw new ArgumentException($"--dynamic-rule rms gathers gradient statistics on the training text, and {path} names '{data}', which does not exist here; give --dynamic-stats FILE, or use --dynamic-rule sgd.");
        return TextFile.ReadUtf8(data);
    }
}