// `rnn classify train`: trains a text classifier into a run folder, with the same trainer, progress,
// checkpoints and --resume as the language model; the best model is kept by validation macro-F1.
using System.CommandLine;
using System.Text.Json.Nodes;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class ClassifyTrainCommand
{
    public const int DefaultEpochs = 10, DefaultBatch = 32, DefaultEmbed = 64, DefaultHidden = 128, DefaultLayers = 1, DefaultMaxLength = 400, DefaultMaxVocab = 20000;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Labelled data: CSV/TSV with a header, JSONL (text, label), or a folder with one subfolder per class.", Required = false };
        var valid = new Option<string?>("--valid") { Description = "Validation data in the same formats (default: a stratified split of --data)." };
        var validFraction = new Option<double?>("--valid-fraction") { Description = "Fraction of --data held out, per class, when --valid is not given (default 0.1)." };
        var test = new Option<string?>("--test") { Description = "Test data, scored with the best model when training ends." };
        var textColumn = new Option<string?>("--text-column") { Description = "CSV/TSV column with the text (default text)." };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV/TSV column with the label (default label)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "word (default) or char." };
        var lowercase = new Option<bool?>("--lowercase") { Description = "Lower-case texts before tokenizing." };
        var maxVocab = new Option<int?>("--max-vocab") { Description = $"Vocabulary cap, reserved tokens included (default {DefaultMaxVocab})." };
        var minFreq = new Option<int?>("--min-freq") { Description = "Minimum count for a token to enter the vocabulary (default 2 for words, 1 for characters)." };
        var maxLength = new Option<int?>("--max-len") { Description = $"Tokens kept per text (default {DefaultMaxLength})." };
        var truncate = new Option<string?>("--truncate") { Description = "Which part of a long text is kept: head (default), tail or head+tail." };
        var pooling = new Option<string?>("--pooling") { Description = "last, mean, max (default) or attention." };
        var classWeights = new Option<string?>("--class-weights") { Description = "none (default) or balanced (weights inversely proportional to class frequency)." };
        var cell = new Option<string?>("--cell") { Description = "rnn, rnn-relu, lstm (default), ln-lstm (layer-normalised LSTM), gru or gru-original." };
        var layers = new Option<int?>("--layers") { Description = $"Recurrent layers (default {DefaultLayers})." };
        var hidden = new Option<int?>("--hidden") { Description = $"Hidden size (default {DefaultHidden})." };
        var embed = new Option<int?>("--embed") { Description = $"Embedding size (default {DefaultEmbed})." };
        var bidirectional = new Option<bool?>("--bidirectional") { Description = "Read the text in both directions." };
        var dropout = new Option<float?>("--dropout") { Description = "Dropout on embeddings, between layers and on the pooled vector (default 0.2)." };
        var batch = new Option<int?>("--batch") { Description = $"Texts per batch (default {DefaultBatch})." };
        var common = new TrainingOptionsBinder();
        var command = new Command("train", "Train a text classifier.")
        {
            data, valid, validFraction, test, textColumn, labelColumn, tokenizer, lowercase, maxVocab, minFreq, maxLength, truncate, pooling,
            classWeights, cell, layers, hidden, embed, bidirectional, dropout, batch,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) => Task.FromResult(Train(parse, cancel)));
        return command;

        int Train(ParseResult parse, CancellationToken cancel)
        {
            TrainCommandRun run = common.Begin(parse, "classify");
            var (runDir, saved) = (run.RunDir, run.Saved);

            string dataPath = run.PickText(data, "data") ?? throw new ArgumentException("--data is required: a CSV/TSV file with a header, a JSONL file, or a folder with one subfolder per class.");
            string textCol = run.PickText(textColumn, "text_column") ?? "text", labelCol = run.PickText(labelColumn, "label_column") ?? "label";
            string tokenizerName = run.PickText(tokenizer, "tokenizer") ?? "word";
            TokenizerKind kind = tokenizerName switch
            {
                "word" => TokenizerKind.Word,
                "char" => TokenizerKind.Character,
                _ => throw new ArgumentException($"--tokenizer must be word or char; got '{tokenizerName}'."),
            };
            Pooling poolingKind = ClassificationConfig.ParsePooling(run.PickText(pooling, "pooling") ?? "max");
            Truncation truncation = ClassificationConfig.ParseTruncation(run.PickText(truncate, "truncate") ?? "head");
            string weightsName = run.PickText(classWeights, "class_weights") ?? "none";
            if (weightsName is not ("none" or "balanced")) throw new ArgumentException($"--class-weights must be none or balanced; got '{weightsName}'.");
            int maxLen = run.Pick(maxLength, "max_len", DefaultMaxLength), vocabCap = run.Pick(maxVocab, "max_vocab", DefaultMaxVocab);
            int minCount = run.Pick(minFreq, "min_freq", kind == TokenizerKind.Word ? 2 : 1), batchSize = run.Pick(batch, "batch", DefaultBatch);
            if (maxLen < 1) throw new ArgumentException($"--max-len must be ≥ 1; got {maxLen}.");
            if (vocabCap < 5) throw new ArgumentException($"--max-vocab must be ≥ 5 (4 reserved tokens and at least one more); got {vocabCap}.");
            if (minCount < 1) throw new ArgumentException($"--min-freq must be ≥ 1; got {minCount}.");
            if (batchSize < 1) throw new ArgumentException($"--batch must be ≥ 1; got {batchSize}.");
            double fraction = run.Pick(validFraction, "valid_fraction", 0.1);
            if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentException($"--valid-fraction must be in (0, 0.5]; got {fraction}.");
            bool lower = run.Pick(lowercase, "lowercase", false);
            CellKind cellKind = LanguageModelConfig.ParseCell(run.PickText(cell, "cell") ?? "lstm", "--cell");
            ulong seed = run.Pick(common.Seed, "seed", 1UL);

            LabeledData all = ClassificationReader.Read(dataPath, textCol, labelCol);
            LabeledData trainData, validData;
            string? validPath = run.PickText(valid, "valid");
            if (validPath is not null)
            {
                trainData = all;
                validData = ClassificationReader.Read(validPath, textCol, labelCol);
            }
            else
            {
                var (keep, held) = StratifiedSplit.Split(all.Examples.Select(e => e.Label).ToArray(), fraction, seed);
                trainData = all with { Examples = keep.Select(i => all.Examples[i]).ToArray() };
                validData = all with { Examples = held.Select(i => all.Examples[i]).ToArray() };
            }
            if (trainData.Labels.Count < 2)
                throw new RecurrentDataException($"{dataPath}: every example has the label '{trainData.Labels.FirstOrDefault()}'; a classifier needs at least two classes.");
            if (validData.Examples.Count == 0)
                throw new RecurrentDataException($"{dataPath}: too few examples to hold out a validation set; give --valid.");

            using var display = TrainingDisplays.Create(bitsPerToken: false);
            if (all.InvalidUtf8Files > 0) display.Message($"{all.InvalidUtf8Files} input file(s) were not valid UTF-8 and were decoded leniently (invalid bytes became U+FFFD)");

            Classifier model;
            if (saved is not null)
            {
                string configPath = Path.Combine(runDir, RunFiles.Config);
                var config = ClassificationConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
                model = new Classifier(config, new ClassifierNetwork(config.Shape, new Rng(0)));
            }
            else
            {
                ITokenizer tok = Tokenizers.Create(kind);
                Vocabulary vocabulary = Vocabulary.Build(trainData.Examples.SelectMany(e => tok.Split(lower ? e.Text.ToLowerInvariant() : e.Text)), vocabCap, minCount);
                string[] labels = trainData.Labels.ToArray();
                var shape = new ClassifierShape(vocabulary.Count, labels.Length, cellKind, run.Pick(embed, "embed", DefaultEmbed), run.Pick(hidden, "hidden", DefaultHidden),
                    run.Pick(layers, "layers", DefaultLayers), run.Pick(bidirectional, "bidirectional", false), run.Pick(dropout, "dropout", 0.2f), poolingKind);
                var config = new ClassificationConfig(kind, lower, vocabulary, labels, maxLen, truncation, shape);
                model = new Classifier(config, new ClassifierNetwork(shape, new Rng(seed)));
            }
            EncodedExamples train = Encode(model.Config, trainData), validation = Encode(model.Config, validData);
            var task = new ClassificationTask(model, train, validation, batchSize, weightsName == "balanced", seed);
            var defaults = new TrainOptions(epochs: DefaultEpochs, learningRate: 2e-3f, evalEvery: task.StepsPerEpoch, schedule: ScheduleKind.Cosine, seed: seed);
            TrainOptions options = common.Bind(parse, defaults, saved);
            display.Message($"{train.Texts.Count:N0} training and {validation.Texts.Count:N0} validation texts; classes {string.Join(", ", model.Config.Labels)}; " +
                $"vocabulary {model.Config.Vocabulary.Count:N0}; {model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length):N0} parameters; run folder {runDir}");
            if (saved is null)
            {
                Directory.CreateDirectory(runDir);
                JsonObject training = TrainingOptionsBinder.ToJson(options);
                training["data"] = Path.GetFullPath(dataPath);
                training["valid"] = validPath is null ? null : Path.GetFullPath(validPath);
                training["valid_fraction"] = fraction;
                training["text_column"] = textCol;
                training["label_column"] = labelCol;
                training["batch"] = batchSize;
                training["class_weights"] = weightsName;
                RunFiles.WriteJsonAtomic(Path.Combine(runDir, RunFiles.Config), model.Config.ToJson(training));
            }
            display.Train(task, options, runDir, resume: saved is not null, cancel,
                s => $"best validation macro-F1 {s.BestMetric:F4} at step {s.BestStep}; model in {Path.Combine(runDir, RunFiles.Model)}");
            string? testPath = run.PickText(test, "test");
            if (testPath is not null)
            {
                Classifier best = Classifier.Load(runDir);
                var (metrics, _) = ClassificationTask.Score(best.Network, Encode(best.Config, ClassificationReader.Read(testPath, textCol, labelCol)));
                display.Dispose();
                Console.Out.WriteLine($"test ({testPath}):");
                ClassifyCommand.Write(Console.Out, best.Config.Labels, metrics, json: false);
            }
            return ExitCodes.Success;
        }
    }

    /// <summary>Encodes labelled texts with a model's config; a label the model does not know is an error.</summary>
    public static EncodedExamples Encode(ClassificationConfig config, LabeledData data)
    {
        var index = config.Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i);
        var texts = new int[data.Examples.Count][];
        var labels = new int[data.Examples.Count];
        for (int i = 0; i < texts.Length; i++)
        {
            LabeledText e = data.Examples[i];
            if (!index.TryGetValue(e.Label, out labels[i]))
                throw new RecurrentDataException($"{e.Source}: label '{e.Label}' is not one the model knows ({string.Join(", ", config.Labels)}).");
            texts[i] = config.Encode(e.Text, out _);
        }
        return new EncodedExamples(texts, labels);
    }
}
