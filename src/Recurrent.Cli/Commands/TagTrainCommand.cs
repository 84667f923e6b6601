// `rnn tag train`: trains a sequence tagger into a run folder, with the same trainer, progress, checkpoints
// and --resume as the other tasks; the best model is kept by validation span F1 (conlleval's).
using System.CommandLine;
using System.Text.Json.Nodes;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tasks.Tagging;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class TagTrainCommand
{
    public const int DefaultEpochs = 10, DefaultBatch = 32, DefaultEmbed = 64, DefaultHidden = 128, DefaultMaxVocab = 50000;

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Tagged CoNLL file: token and tag columns, a blank line between sequences." };
        var valid = new Option<string?>("--valid") { Description = "Validation CoNLL file (default: a seeded split of --data)." };
        var validFraction = new Option<double?>("--valid-fraction") { Description = "Fraction of the sequences of --data held out when --valid is not given (default 0.1)." };
        var test = new Option<string?>("--test") { Description = "Test CoNLL file, scored with the best model when training ends." };
        var (tokenColumn, tagColumn) = TagCommand.ColumnOptions();
        var embedding = new Option<string?>("--embedding") { Description = "Token representation: word (default), char (a bi-directional encoder over each token's characters) or both." };
        var lowercase = new Option<bool?>("--lowercase") { Description = "Lower-case tokens before looking up word vectors (the character encoder still sees the case)." };
        var maxVocab = new Option<int?>("--max-vocab") { Description = $"Word vocabulary cap, reserved tokens included (default {DefaultMaxVocab})." };
        var minFreq = new Option<int?>("--min-freq") { Description = "Minimum count for a token to get a word vector (default 1)." };
        var cell = new Option<string?>("--cell") { Description = "rnn, rnn-relu, lstm (default), ln-lstm (layer-normalised LSTM), gru or gru-original (also the character encoder's)." };
        var layers = new Option<int?>("--layers") { Description = "Recurrent layers (default 1)." };
        var hidden = new Option<int?>("--hidden") { Description = $"Hidden size per direction (default {DefaultHidden})." };
        var embed = new Option<int?>("--embed") { Description = $"Word vector size (default {DefaultEmbed})." };
        var charEmbed = new Option<int?>("--char-embed") { Description = "Character vector size of the character encoder (default 25)." };
        var charHidden = new Option<int?>("--char-hidden") { Description = "Hidden size per direction of the character encoder (default 25)." };
        var bidirectional = new Option<bool?>("--bidirectional") { Description = "Read the sequence in both directions (default true)." };
        var dropout = new Option<float?>("--dropout") { Description = "Dropout on token vectors, between layers and on the outputs (default 0.2)." };
        var batch = new Option<int?>("--batch") { Description = $"Sequences per batch (default {DefaultBatch})." };
        var common = new TrainingOptionsBinder();
        var command = new Command("train", "Train a sequence tagger on a CoNLL file.")
        {
            data, valid, validFraction, test, tokenColumn, tagColumn, embedding, lowercase, maxVocab, minFreq, cell, layers, hidden, embed,
            charEmbed, charHidden, bidirectional, dropout, batch,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) => Task.FromResult(Train(parse, cancel)));
        return command;

        int Train(ParseResult parse, CancellationToken cancel)
        {
            TrainCommandRun run = common.Begin(parse, "tag");
            var (runDir, saved) = (run.RunDir, run.Saved);

            string dataPath = run.PickText(data, "data") ?? throw new ArgumentException("--data is required: a CoNLL file with a token and a tag per line and a blank line between sequences.");
            var columns = new ConllColumns(run.Pick(tokenColumn, "token_column", 1), run.Pick(tagColumn, "tag_column", -1));
            TokenRepresentation representation = TaggingConfig.ParseRepresentation(run.PickText(embedding, "embedding") ?? "word");
            int vocabCap = run.Pick(maxVocab, "max_vocab", DefaultMaxVocab), minCount = run.Pick(minFreq, "min_freq", 1), batchSize = run.Pick(batch, "batch", DefaultBatch);
            if (vocabCap < 5) throw new ArgumentException($"--max-vocab must be ≥ 5 (4 reserved tokens and at least one more); got {vocabCap}.");
            if (minCount < 1) throw new ArgumentException($"--min-freq must be ≥ 1; got {minCount}.");
            if (batchSize < 1) throw new ArgumentException($"--batch must be ≥ 1; got {batchSize}.");
            double fraction = run.Pick(validFraction, "valid_fraction", 0.1);
            if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentException($"--valid-fraction must be in (0, 0.5]; got {fraction}.");
            bool lower = run.Pick(lowercase, "lowercase", false);
            CellKind cellKind = LanguageModelConfig.ParseCell(run.PickText(cell, "cell") ?? "lstm", "--cell");
            ulong seed = run.Pick(common.Seed, "seed", 1UL);

            IReadOnlyList<TaggedSequence> all = ConllReader.Read(dataPath, columns), trainData, validData;
            string? validPath = run.PickText(valid, "valid");
            if (validPath is not null) (trainData, validData) = (all, ConllReader.Read(validPath, columns));
            else (trainData, validData) = Splits.RandomHoldOut(all, fraction, seed ^ 0x5B117UL, dataPath, "sequence(s)");

            using var display = TrainingDisplays.Create(bitsPerToken: false);
            Tagger model;
            if (saved is not null)
            {
                string configPath = Path.Combine(runDir, RunFiles.Config);
                var config = TaggingConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
                model = new Tagger(config, new TaggerNetwork(config.Shape, new Rng(0)));
            }
            else
            {
                Vocabulary words = Vocabulary.Build(trainData.SelectMany(q => q.Tokens).Select(t => lower ? t.ToLowerInvariant() : t), vocabCap, minCount);
                Vocabulary characters = Vocabulary.Build(trainData.SelectMany(q => q.Tokens).SelectMany(t => t.EnumerateRunes().Select(r => r.ToString())));
                string[] tags = trainData.SelectMany(q => q.Tags!).Distinct().Order(StringComparer.Ordinal).ToArray();
                var shape = new TaggerShape(words.Count, characters.Count, tags.Length, representation, cellKind, run.Pick(embed, "embed", DefaultEmbed),
                    run.Pick(charEmbed, "char_embed", 25), run.Pick(charHidden, "char_hidden", 25), run.Pick(hidden, "hidden", DefaultHidden), run.Pick(layers, "layers", 1),
                    run.Pick(bidirectional, "bidirectional", true), run.Pick(dropout, "dropout", 0.2f));
                var config = new TaggingConfig(words, characters, tags, lower, TaggingConfig.LooksRaw(tags), shape);
                model = new Tagger(config, new TaggerNetwork(shape, new Rng(seed)));
            }
            var train = trainData.Select(model.Config.Encode).ToArray();
            var validation = validData.Select(model.Config.Encode).ToArray();
            var task = new TaggingTask(model, train, validation, batchSize, seed);
            var defaults = new TrainOptions(epochs: DefaultEpochs, learningRate: 2e-3f, evalEvery: task.StepsPerEpoch, schedule: ScheduleKind.Cosine, seed: seed);
            TrainOptions options = common.Bind(parse, defaults, saved);
            display.Message($"{train.Length:N0} training and {validation.Length:N0} validation sequences ({train.Sum(q => q.Words.Length):N0} training tokens); " +
                $"{model.Config.Tags.Count} tags{(model.Config.RawSpans ? " (plain labels: spans scored as conlleval -r)" : "")}; vocabulary {model.Config.Words.Count:N0}; " +
                $"{model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length):N0} parameters; run folder {runDir}");
            if (saved is null)
            {
                Directory.CreateDirectory(runDir);
                JsonObject training = TrainingOptionsBinder.ToJson(options);
                training["data"] = Path.GetFullPath(dataPath);
                training["valid"] = validPath is null ? null : Path.GetFullPath(validPath);
                training["valid_fraction"] = fraction;
                training["token_column"] = columns.TokenColumn;
                training["tag_column"] = columns.TagColumn;
                training["batch"] = batchSize;
                RunFiles.WriteJsonAtomic(Path.Combine(runDir, RunFiles.Config), model.Config.ToJson(training));
            }
            display.Train(task, options, runDir, resume: saved is not null, cancel,
                s => $"best validation span F1 {s.BestMetric:F4} at step {s.BestStep}; model in {Path.Combine(runDir, RunFiles.Model)}");
            string? testPath = run.PickText(test, "test");
            if (testPath is not null)
            {
                Tagger best = Tagger.Load(runDir);
                var (metrics, _) = Tagger.Score(best.Network, best.Config, ConllReader.Read(testPath, columns).Select(best.Config.Encode).ToArray());
                display.Dispose();
                Console.Out.WriteLine($"test ({testPath}):");
                TagCommand.Write(Console.Out, metrics, best.Config.RawSpans, json: false);
            }
            return ExitCodes.Success;
        }
    }
}
