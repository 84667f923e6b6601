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
        var json = new Option<bool>("--json") { Description = "Print one JSON object: loss, bpc, perplexity, tokens, unknown." };
        var threads = CommonOptions.Threads();
        var precision = CommonOptions.Precision();
        var dynamic = new Option<bool>("--dynamic") { Description = "Dynamic evaluation: score the text in order, one stream, learning from each segment after scoring it (Krause et al. 2018)." };
        var dynamicLr = new Option<float?>("--dynamic-lr") { Description = "Dynamic evaluation: SGD step size η (default 0.2)." };
        var dynamicDecay = new Option<float?>("--dynamic-decay") { Description = "Dynamic evaluation: pull λ back towards the trained weights per segment (default 0.001)." };
        var dynamicSegment = new Option<int?>("--dynamic-segment") { Description = "Dynamic evaluation: tokens per segment (default 50)." };
        var command = new Command("eval", "Score a text: loss in nats per token, bits per character, perplexity.")
        {
            model, data, json, precision, dynamic, dynamicLr, dynamicDecay, dynamicSegment, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            LanguageModel lm = LanguageModel.Load(parse.GetValue(model)!);
            string text = TextFile.ReadUtf8(parse.GetValue(data)!);
            int[] ids = lm.Encode(text, out int unknown);
            int characters = 0;
            foreach (var _ in text.EnumerateRunes()) characters++;
            double charactersPerToken = (double)characters / Math.Max(1, ids.Length);
            string? precisionText = parse.GetValue(precision);
            bool isDynamic = parse.GetValue(dynamic);
            if (!isDynamic && (parse.GetValue(dynamicLr) is not null || parse.GetValue(dynamicDecay) is not null || parse.GetValue(dynamicSegment) is not null))
                throw new ArgumentException("--dynamic-lr, --dynamic-decay and --dynamic-segment apply to dynamic evaluation only; add --dynamic.");
            if (isDynamic && precisionText is not null)
                throw new ArgumentException("--precision and --dynamic cannot be combined: dynamic evaluation trains in float32.");
            LanguageModelScore score;
            if (isDynamic)
            {
                var defaults = new DynamicEvaluationOptions();
                DynamicEvaluationOptions options;
                try
                {
                    options = new DynamicEvaluationOptions(parse.GetValue(dynamicLr) ?? defaults.LearningRate, parse.GetValue(dynamicDecay) ?? defaults.Decay,
                        parse.GetValue(dynamicSegment) ?? defaults.SegmentLength);
                }
                catch (ArgumentOutOfRangeException e)
                {
                    throw new ArgumentException($"--dynamic-{(e.ParamName == "learningRate" ? "lr" : e.ParamName == "decay" ? "decay" : "segment")}: {e.Message.Split(" (Parameter")[0]}", e);
                }
                var progress = FractionProgress.ForConsole("dynamic evaluation", parse.InvocationConfiguration.Error);
                score = DynamicEvaluation.Evaluate(lm.Network, ids, charactersPerToken, options, progress.Report);
            }
            // --precision scores through the generation path (one token at a time), to measure what it costs in quality.
            else score = precisionText is null
                ? LanguageModelEvaluator.Evaluate(lm.Network, ids, charactersPerToken)
                : LanguageModelEvaluator.EvaluateStreaming(lm.Network, ids, charactersPerToken, CommonOptions.ParsePrecision(precisionText));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var result = new LmEvalResult(Math.Round(score.Loss, 6), Math.Round(score.BitsPerCharacter, 6), Math.Round(score.Perplexity, 4), score.Tokens, unknown);
                output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.LmEvalResult));
            }
            else
            {
                output.WriteLine($"loss        {score.Loss:F4} nats/token");
                output.WriteLine($"bpc         {score.BitsPerCharacter:F4} bits/character");
                output.WriteLine($"perplexity  {score.Perplexity:F3}");
                output.WriteLine($"tokens      {score.Tokens:N0}");
                output.WriteLine($"unknown     {unknown:N0}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
