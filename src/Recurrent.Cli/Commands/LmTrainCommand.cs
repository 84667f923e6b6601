// `rnn lm train`: trains a language model with stateful truncated BPTT into a run folder.
using System.CommandLine;
using System.Text.Json.Nodes;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class LmTrainCommand
{
    /// <summary>Defaults chosen to give a recognisably English model on the bundled text in about five minutes on 2 cores.</summary>
    public static readonly TrainOptions Defaults = DefaultsWith(OptimizerKind.Adam, 0f);

    /// <summary><see cref="Defaults"/> with another optimizer and weight decay (the long budgets' choice, <see cref="ModelDefaults"/>).</summary>
    public static TrainOptions DefaultsWith(OptimizerKind optimizer, float weightDecay) =>
        new(minutes: 5, learningRate: 3e-3f, evalEvery: 500, schedule: ScheduleKind.Cosine, warmupSteps: 20, optimizer: optimizer, weightDecay: weightDecay);
    public const int DefaultHidden = 512, DefaultEmbed = 64, DefaultBatch = 32, DefaultBptt = 64;

    /// <summary>
    /// The model's defaults depend on the time budget: a short run (the default five minutes, or a budget in steps
    /// or epochs) is best served by one layer, which learns fastest; from <see cref="LongBudgetMinutes"/> on, a
    /// second layer with more dropout keeps improving long after the one-layer model flattens (Moby-Dick, 30
    /// minutes: 1.954 test bpc against ~2.13). Weight drop stays off: at 0.2 it trailed by 0.08 bpc a quarter of
    /// the way into the same 30-minute run, too slow a start for budgets of minutes. The long budgets train with
    /// AdamW and a decoupled weight decay of 0.1 (Loshchilov &amp; Hutter 2019): in the 30-minute run, where the model
    /// has begun to overfit, it ended 0.023 bpc lower on validation than Adam (0.05: 0.014). Their cell is the
    /// layer-normalised LSTM (Ba et al. 2016): ~10 % slower per step, it starts behind, draws level after ~1,500
    /// steps and ends a 30-minute run 0.047 bpc lower on validation than the plain LSTM (best 1.944 against 1.991; Moby-Dick,
    /// test part with the n-gram mixture 1.825 against 1.878).
    /// </summary>
    public sealed record ModelDefaults(int Layers, float Dropout, float WeightDrop, OptimizerKind Optimizer, float WeightDecay, string Cell)
    {
        public static readonly ModelDefaults Short = new(1, 0.1f, 0f, OptimizerKind.Adam, 0f, "lstm");
        public static readonly ModelDefaults Long = new(2, 0.25f, 0f, OptimizerKind.AdamW, 0.1f, "ln-lstm");

        public static ModelDefaults For(TrainOptions options) => options.Minutes >= LongBudgetMinutes ? Long : Short;
    }

    public const double LongBudgetMinutes = 15;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "UTF-8 text to train on (default: the bundled Moby-Dick)." };
        var valid = new Option<string?>("--valid") { Description = "UTF-8 text to validate on (default: the tail of --data)." };
        var validFraction = new Option<double?>("--valid-fraction") { Description = "Fraction of --data held out for validation when --valid is not given (default 0.05)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "char (default) or word." };
        var cell = new Option<string?>("--cell") { Description = $"rnn, rnn-relu, lstm, ln-lstm (layer-normalised LSTM), gru or gru-original (default {ModelDefaults.Short.Cell}; {ModelDefaults.Long.Cell} with --minutes ≥ {LongBudgetMinutes})." };
        var layers = new Option<int?>("--layers") { Description = $"Recurrent layers (default {ModelDefaults.Short.Layers}; {ModelDefaults.Long.Layers} with --minutes ≥ {LongBudgetMinutes})." };
        var hidden = new Option<int?>("--hidden") { Description = $"Hidden size (default {DefaultHidden})." };
        var embed = new Option<int?>("--embed") { Description = $"Embedding size (default {DefaultEmbed})." };
        var dropout = new Option<float?>("--dropout") { Description = $"Dropout on embeddings, between layers and before the decoder (default {ModelDefaults.Short.Dropout}; {ModelDefaults.Long.Dropout} with --minutes ≥ {LongBudgetMinutes})." };
        var embeddingDropout = new Option<float?>("--embedding-dropout") { Description = "Dropout on the embeddings alone (default: --dropout). 0 lets a character model train through the folded input projection, a little faster." };
        var weightDrop = new Option<float?>("--weight-drop") { Description = $"DropConnect on the recurrent weights W_hh, as in AWD-LSTM (default {ModelDefaults.Short.WeightDrop}; {ModelDefaults.Long.WeightDrop} with --minutes ≥ {LongBudgetMinutes})." };
        var batch = new Option<int?>("--batch") { Description = $"Parallel streams per batch (default {DefaultBatch})." };
        var bptt = new Option<int?>("--bptt", "--seq") { Description = $"k1: time steps per update (default {DefaultBptt})." };
        var bpttBack = new Option<int?>("--bptt-back") { Description = "k2 ≥ k1: time steps back-propagated per update (default k1)." };
        var init = new Option<string?>("--init") { Description = "Initial biases: text (default: the decoder's bias from the training text's token frequencies and, for an LSTM, forget gates open) or pytorch (PyTorch's uniform draw for every parameter)." };
        var noCalibrate = new Option<bool>("--no-calibrate") { Description = "Keep the best model as trained; by default a softmax temperature fitted to the validation text is folded into its decoder at the end." };
        var ngramOrder = new Option<int?>("--ngram-order") { Description = "Longest context of the n-gram model counted on the training text and mixed with the network at the end, its weight fitted to the validation text, then (characters) a product of the two fitted on top (default 8 for characters, 3 for words; 0 = none)." };
        var common = new TrainingOptionsBinder();
        var command = new Command("train", "Train a language model on a text file (stateful truncated BPTT).")
        {
            data, valid, validFraction, tokenizer, cell, layers, hidden, embed, dropout, embeddingDropout, weightDrop, batch, bptt, bpttBack, init, noCalibrate, ngramOrder,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) => Task.FromResult(Train(parse, cancel)));
        return command;

        int Train(ParseResult parse, CancellationToken cancel)
        {
            TrainCommandRun run = common.Begin(parse, "lm");
            var (runDir, saved) = (run.RunDir, run.Saved);

            TrainOptions options = common.Bind(parse, Defaults, saved);
            ModelDefaults sized = ModelDefaults.For(options);
            // The budget's optimizer, unless one is named (a resumed run keeps the one it was started with).
            if (saved is null && parse.GetValue(common.Optimizer) is null && sized.Optimizer != Defaults.Optimizer)
                options = common.Bind(parse, DefaultsWith(sized.Optimizer, sized.WeightDecay), saved);
            var settings = new LanguageModelTrainingSettings(run.Pick(batch, "batch", DefaultBatch), run.Pick(bptt, "bptt", DefaultBptt), parse.GetValue(bpttBack) ?? saved?["bptt_back"]?.GetValue<int>());
            string? dataPath = run.PickText(data, "data"), validPath = run.PickText(valid, "valid");
            double fraction = run.Pick(validFraction, "valid_fraction", 0.05);
            if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentException($"--valid-fraction must be in (0, 0.5]; got {fraction}.");

            string tokenizerName = run.PickText(tokenizer, "tokenizer") ?? "char";
            TokenizerKind kind = tokenizerName switch
            {
                "char" => TokenizerKind.Character,
                "word" => TokenizerKind.Word,
                _ => throw new ArgumentException($"--tokenizer must be char or word; got '{tokenizerName}'."),
            };
            CellKind cellKind = ParseCell(run.PickText(cell, "cell") ?? sized.Cell);
            string initName = run.PickText(init, "init") ?? "text";
            if (initName is not ("text" or "pytorch")) throw new ArgumentException($"--init must be text or pytorch; got '{initName}'.");
            int embedSize = run.Pick(embed, "embed", DefaultEmbed), hiddenSize = run.Pick(hidden, "hidden", DefaultHidden), layerCount = run.Pick(layers, "layers", sized.Layers);
            float dropoutRate = run.Pick(dropout, "dropout", sized.Dropout);
            float weightDropRate = run.Pick(weightDrop, "weight_drop", sized.WeightDrop);
            float? embeddingDropoutRate = parse.GetValue(embeddingDropout);
            if (embedSize < 1 || hiddenSize < 1 || layerCount < 1)
                throw new ArgumentException($"--embed, --hidden and --layers must be ≥ 1; got {embedSize}, {hiddenSize}, {layerCount}.");
            if (!(dropoutRate >= 0 && dropoutRate < 1)) throw new ArgumentException($"--dropout must be in [0, 1); got {dropoutRate}.");
            if (!(weightDropRate >= 0 && weightDropRate < 1)) throw new ArgumentException($"--weight-drop must be in [0, 1); got {weightDropRate}.");
            if (embeddingDropoutRate is { } ed && !(ed >= 0 && ed < 1)) throw new ArgumentException($"--embedding-dropout must be in [0, 1); got {ed}.");
            int ngram = run.Pick(ngramOrder, "ngram_order", LanguageModel.DefaultNGramOrder(kind));
            if (ngram < 0 || ngram > NGramModel.MaxOrder) throw new ArgumentException($"--ngram-order must be in [0, {NGramModel.MaxOrder}] (0 = none); got {ngram}.");

            using var display = TrainingDisplays.Create(bitsPerToken: kind == TokenizerKind.Character);
            string text = dataPath is null ? BundledSample.Read(display.Message) : TextFile.ReadUtf8(dataPath);
            string validText;
            if (validPath is not null) validText = TextFile.ReadUtf8(validPath);
            else
            {
                int cut = TailCut(text, fraction);
                validText = text[cut..];
                text = text[..cut];
            }

            LanguageModel model;
            if (saved is not null)
                model = LoadForResume(runDir);
            else
            {
                Vocabulary vocabulary = Vocabulary.Build(Tokenizers.Create(kind).Split(text));
                var shape = new LanguageModelShape(vocabulary.Count, cellKind, embedSize, hiddenSize, layerCount, dropoutRate, weightDropRate, embeddingDropoutRate);
                model = new LanguageModel(new LanguageModelConfig(kind, vocabulary, shape), new LanguageModelNetwork(shape, new Rng(options.Seed)));
            }
            int[] trainIds = model.Encode(text, out _);
            if (saved is null && initName == "text") model.Network.InitializeForText(trainIds);
            int[] validIds = model.Encode(validText, out int unknown);
            double charactersPerToken = LanguageModel.CharactersPerToken(validText, validIds.Length);
            display.Message($"{trainIds.Length:N0} training and {validIds.Length:N0} validation tokens; vocabulary {model.Vocabulary.Count}" +
                (unknown > 0 ? $"; {unknown} validation tokens unknown" : "") +
                $"; {model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length):N0} parameters; run folder {runDir}");
            // The text's sizes are checked here, where the files can be named, and before the run folder gets a file.
            string dataName = dataPath ?? BundledSample.ResourceName;
            int streams = settings.BatchSize;
            if (trainIds.Length < 2L * streams + 1)
            {
                int fits = (trainIds.Length - 1) / 2;
                throw new RecurrentDataException($"{dataName}: the training text has {trainIds.Length:N0} token(s), too few for --batch {streams} " +
                    $"(each of the {streams} streams needs at least 2 steps, so at least {2L * streams + 1:N0} tokens); " +
                    (fits >= 1 ? $"use --batch {fits} or less, or a longer text." : "use a longer text."));
            }
            LmCommand.RequireScorable(validPath ?? $"{dataName} (its last {fraction:0.##%}, held out for validation)", validIds.Length,
                validPath is null ? "give --valid, a larger --valid-fraction or a longer text" : "give a longer validation text");
            var task = new LanguageModelTask(model, trainIds, validIds, charactersPerToken, settings);
            if (saved is null)
            {
                // Everything is checked: only now does the run folder get its first file.
                Directory.CreateDirectory(runDir);
                JsonObject training = TrainingOptionsBinder.ToJson(options);
                training["tokenizer"] = tokenizerName;
                training["data"] = dataPath is null ? null : Path.GetFullPath(dataPath);
                training["valid"] = validPath is null ? null : Path.GetFullPath(validPath);
                training["valid_fraction"] = fraction;
                training["batch"] = settings.BatchSize;
                training["bptt"] = settings.Bptt;
                training["bptt_back"] = settings.BpttBack;
                training["init"] = initName;
                training["ngram_order"] = ngram;
                RunFiles.WriteJsonAtomic(Path.Combine(runDir, RunFiles.Config), model.Config.ToJson(training));
            }
            display.Train(task, options, runDir, resume: saved is not null, cancel,
                s => $"best validation loss {s.BestMetric:F4} nats/token at step {s.BestStep}; model in {Path.Combine(runDir, RunFiles.Model)}");
            if (!cancel.IsCancellationRequested && File.Exists(Path.Combine(runDir, RunFiles.Model)))
            {
                // An n-gram model is counted afresh; with --ngram-order 0 a mixture the folder already has is kept, its weight refitted.
                LanguageModel best = LanguageModel.Load(runDir, withNGram: ngram == 0);
                if (!parse.GetValue(noCalibrate)) display.Message(Describe(best.CalibrateInFolder(runDir, validText), "validation", task.ReportsBitsPerToken));
                // A validation tail of --data is training text too: once the weight is fitted, the n-gram model counts it
                // as well (the test part of Moby-Dick then scores 1.888 instead of 1.892 bpc). A --valid file is not counted.
                bool countTail = validPath is null;
                NGramFit? fit = ngram > 0
                    ? best.AttachNGramInFolder(runDir, text, ngram, validText, countTail)
                    : best.RefitNGramInFolder(runDir, validText);
                if (fit is not null)
                {
                    display.Message(Describe(fit, "validation", task.ReportsBitsPerToken));
                    if (best.NGram!.Model.Tokens != fit.CountedTokens)
                        display.Message($"n-gram: the validation tail counted too for the saved model ({best.NGram.Model.Tokens:N0} tokens)");
                }
            }
            display.Message($"sample from it:  rnn lm sample --model {runDir}");
            return ExitCodes.Success;
        }
    }

    /// <summary>One line on a temperature fit, in bits per character for a character model, else nats per token.</summary>
    internal static string Describe(TemperatureFit fit, string textName, bool bitsPerCharacter) => fit.Temperature == 1.0
        ? $"calibration: a softmax temperature of 1 fits the {textName} text best ({Figure(fit.Before, bitsPerCharacter)}); model unchanged"
        : $"calibration: softmax temperature {fit.Temperature:F3} folded into the decoder; {textName} {Figure(fit.Before, bitsPerCharacter)} → {Figure(fit.After, bitsPerCharacter)}";

    /// <summary>One line on an n-gram mixture's fitted weight (and the product fitted on top of it).</summary>
    internal static string Describe(NGramFit fit, string textName, bool bitsPerCharacter) => fit.Exponents is { } e
        ? $"n-gram: order {fit.Order} on {fit.CountedTokens:N0} training tokens, weight {fit.Weight:F3} in the mixture, then a product with exponents " +
          $"{e.Network:F3} (network), {e.NGram:F3} (n-gram), {e.Linear:F3} (mixture); {textName} {Figure(fit.Before, bitsPerCharacter)} → {Figure(fit.Linear!, bitsPerCharacter)} → {Figure(fit.After, bitsPerCharacter)}"
        : $"n-gram: order {fit.Order} on {fit.CountedTokens:N0} training tokens, weight {fit.Weight:F3} in the mixture; {textName} {Figure(fit.Before, bitsPerCharacter)} → {Figure(fit.After, bitsPerCharacter)}" +
          (fit.Weight == 0 ? " (the network alone fits best)" : "");

    /// <summary>The product's exponents as JSON reports them: [network, n-gram, linear mixture], or null.</summary>
    internal static double[]? Exponents(MixtureExponents? e) => e is null ? null : [e.Network, e.NGram, e.Linear];

    /// <summary>A held-out score in bits per character (character models) or nats per token.</summary>
    private static string Figure(LanguageModelScore score, bool bitsPerCharacter) =>
        bitsPerCharacter ? $"{score.BitsPerCharacter:F4} bpc" : $"{score.Loss:F4} nats/token";

    private static LanguageModel LoadForResume(string runDir)
    {
        string configPath = Path.Combine(runDir, RunFiles.Config);
        var config = LanguageModelConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        return new LanguageModel(config, new LanguageModelNetwork(config.Shape, new Rng(0)));
    }

    private static CellKind ParseCell(string name) => name switch
    {
        "rnn" or "rnn-tanh" => CellKind.RnnTanh,
        "rnn-relu" => CellKind.RnnRelu,
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "gru-original" => CellKind.GruOriginal,
        "ln-lstm" => CellKind.LayerNormLstm,
        _ => throw new ArgumentException($"--cell must be rnn, rnn-relu, lstm, ln-lstm, gru or gru-original; got '{name}'."),
    };

    /// <summary>Where the validation tail starts: the last <paramref name="fraction"/> of the text, at a character boundary.</summary>
    internal static int TailCut(string text, double fraction)
    {
        int cut = (int)Math.Round(text.Length * (1 - fraction));
        if (cut > 0 && cut < text.Length && char.IsLowSurrogate(text[cut])) cut--;
        return cut;
    }
}
