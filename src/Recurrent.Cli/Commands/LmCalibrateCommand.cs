// `rnn lm calibrate`: fits a softmax temperature to held-out text and folds it into a model's decoder.
using System.CommandLine;
using System.Text.Json;
using Recurrent.Data;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class LmCalibrateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn lm train'; its model.safetensors and config.json are updated.", Required = true };
        var data = new Option<string>("--data") { Description = "Held-out UTF-8 text (not trained on) to fit the temperature to.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: temperature, tokens, loss_before, loss_after, bpc_before, bpc_after." };
        var threads = CommonOptions.Threads();
        var command = new Command("calibrate", "Fit a softmax temperature to held-out text and fold it into the model's decoder ('lm train' does this on its validation text).")
        {
            model, data, json, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            string folder = parse.GetValue(model)!;
            LanguageModel lm = LanguageModel.Load(folder);
            TemperatureFit fit = lm.CalibrateInFolder(folder, TextFile.ReadUtf8(parse.GetValue(data)!));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var result = new LmCalibrateResult(Math.Round(fit.Temperature, 6), fit.Before.Tokens, Math.Round(fit.Before.Loss, 6), Math.Round(fit.After.Loss, 6),
                    Math.Round(fit.Before.BitsPerCharacter, 6), Math.Round(fit.After.BitsPerCharacter, 6));
                output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.LmCalibrateResult));
            }
            else output.WriteLine(LmTrainCommand.Describe(fit, "held-out", bitsPerCharacter: lm.Config.Tokenizer == TokenizerKind.Character));
            return ExitCodes.Success;
        });
        return command;
    }
}
