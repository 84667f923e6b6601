// `rnn lm sample`: streams generated text to standard output.
using System.CommandLine;
using System.Text.Json;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class LmSampleCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn lm train'.", Required = true };
        var prime = new Option<string?>("--prime") { Description = "Text to start from (default: a newline)." };
        var length = new Option<int>("--length") { Description = "Tokens to generate.", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 is greedy.", DefaultValueFactory = _ => 0.8f };
        var topK = new Option<int>("--top-k") { Description = "Sample only from the K most likely tokens (0 = off).", DefaultValueFactory = _ => 0 };
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling: the smallest set of tokens with this much probability (1 = off).", DefaultValueFactory = _ => 1f };
        var seed = new Option<ulong>("--seed") { Description = "Random seed: the same seed gives the same text.", DefaultValueFactory = _ => 1UL };
        var json = new Option<bool>("--json") { Description = "Print one JSON object {\"prime\", \"text\"} instead of streaming." };
        var precision = CommonOptions.Precision();
        var noNGram = CommonOptions.NoNGram("Sample from the network alone, ignoring the model's n-gram mixture.");
        var threads = CommonOptions.Threads();
        var command = new Command("sample", "Generate text from a trained language model.") { model, prime, length, temperature, topK, topP, seed, json, noNGram, precision, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var options = new SampleOptions(parse.GetValue(length), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP), parse.GetValue(seed));
            LanguageModel lm = LanguageModel.Load(parse.GetValue(model)!, withNGram: !parse.GetValue(noNGram));
            string primeText = parse.GetValue(prime) ?? "";
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                string text = string.Concat(TextGenerator.Generate(lm, primeText, options, CommonOptions.ParsePrecision(parse.GetValue(precision)), useNGram: !parse.GetValue(noNGram)));
                output.WriteLine(JsonSerializer.Serialize(new SampleResult(primeText, text), CliJsonContext.Default.SampleResult));
                return ExitCodes.Success;
            }
            output.Write(primeText);
            foreach (string piece in TextGenerator.Generate(lm, primeText, options, CommonOptions.ParsePrecision(parse.GetValue(precision)), useNGram: !parse.GetValue(noNGram)))
            {
                output.Write(piece);
                output.Flush();
            }
            output.WriteLine();
            return ExitCodes.Success;
        });
        return command;
    }
}
