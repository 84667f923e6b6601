// `rnn lm calibrate`: fits a softmax temperature to held-out text and folds it into a model's decoder, then
// fits the weight of the model's n-gram mixture (counting a new n-gram model first with --ngram-text).
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
        var json = new Option<bool>("--json") { Description = "Print one JSON object: temperature, tokens, loss_before, loss_after, bpc_before, bpc_after, ngram_weight, loss_ngram, bpc_ngram, ngram_product." };
        var ngramText = new Option<string?>("--ngram-text") { Description = "UTF-8 text (the training text) to count an n-gram model on, replacing the model's; its weight in the mixture is fitted to --data." };
        var ngramOrder = new Option<int?>("--ngram-order") { Description = "With --ngram-text: the longest context in tokens (default 8 for a character model, 3 for words)." };
        var threads = CommonOptions.Threads();
        var command = new Command("calibrate", "Fit a softmax temperature to held-out text and fold it into the model's decoder, then the weight of its n-gram mixture ('lm train' does both on its validation text).")
        {
            model, data, ngramText, ngramOrder, json, threads,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            string folder = parse.GetValue(model)!;
            string? ngramPath = parse.GetValue(ngramText);
            int? order = parse.GetValue(ngramOrder);
            if (order is not null && ngramPath is null)
                throw new ArgumentException("--ngram-order applies with --ngram-text only: it is the order of the n-gram model counted on that text.");
            if (order is { } n && (n < 1 || n > NGramModel.MaxOrder))
                throw new ArgumentException($"--ngram-order must be in [1, {NGramModel.MaxOrder}]; got {n}.");
            LanguageModel lm = LanguageModel.Load(folder);
            string dataPath = parse.GetValue(data)!;
            string heldOut = TextFile.ReadUtf8(dataPath);
            LmCommand.RequireScorable(dataPath, lm.Encode(heldOut, out _).Length, "give a longer held-out text");
            string? memory = ngramPath is null ? null : TextFile.ReadUtf8(ngramPath);
            TemperatureFit fit = lm.CalibrateInFolder(folder, heldOut);
            NGramFit? ngram = memory is null
                ? lm.RefitNGramInFolder(folder, heldOut)
                : lm.AttachNGramInFolder(folder, memory, order ?? LanguageModel.DefaultNGramOrder(lm.Config.Tokenizer), heldOut);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var result = new LmCalibrateResult(Math.Round(fit.Temperature, 6), fit.Before.Tokens, Math.Round(fit.Before.Loss, 6), Math.Round(fit.After.Loss, 6),
                    Math.Round(fit.Before.BitsPerCharacter, 6), Math.Round(fit.After.BitsPerCharacter, 6),
                    ngram?.Weight is { } w ? Math.Round(w, 6) : null, ngram is null ? null : Math.Round(ngram.After.Loss, 6), ngram is null ? null : Math.Round(ngram.After.BitsPerCharacter, 6),
                    LmTrainCommand.Exponents(ngram?.Exponents));
                output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.LmCalibrateResult));
            }
            else
            {
                bool bits = lm.Config.Tokenizer == TokenizerKind.Character;
                output.WriteLine(LmTrainCommand.Describe(fit, "held-out", bits));
                if (ngram is not null) output.WriteLine(LmTrainCommand.Describe(ngram, "held-out", bits));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
