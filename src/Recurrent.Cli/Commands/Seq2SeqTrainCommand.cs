// `rnn seq2seq train`: trains an encoder-decoder into a run folder, with the same trainer, progress,
// checkpoints and --resume as the other tasks; the best model is kept by validation exact match.
// Examples are split by source (for CMUdict: by headword, all pronunciations on one side), seeded; with
// --test-fraction the held-out test examples are written to test.tsv in the run folder for `rnn seq2seq eval`.
using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class Seq2SeqTrainCommand
{
    public const string TestFile = "test.tsv";

    private sealed class Options
    {
        public readonly Option<string?> Data = new("--data") { Description = "Pairs: TSV source<TAB>target (alternatives a|b|c), or a CMUdict file with --format cmudict." };
        public readonly Option<string?> Format = new("--format") { Description = "tsv (default) or cmudict." };
        public readonly Option<bool?> StripStress = new("--strip-stress") { Description = "CMUdict: remove the stress digits from the phones (AH0 → AH)." };
        public readonly Option<string?> Valid = new("--valid") { Description = "Validation pairs in the same format (default: a seeded split of --data)." };
        public readonly Option<double?> ValidFraction = new("--valid-fraction") { Description = "Fraction of the sources held out for validation when --valid is not given (default 0.05)." };
        public readonly Option<double?> TestFraction = new("--test-fraction") { Description = "Fraction of the sources held out for testing, written to test.tsv in the run folder (default 0)." };
        public readonly Option<string?> SourceTokenizer = new("--source-tokenizer") { Description = "char or word (default: char for cmudict, word for tsv)." };
        public readonly Option<string?> TargetTokenizer = new("--target-tokenizer") { Description = "char or word (default word: whitespace-separated tokens, so phones K AE T are tokens)." };
        public readonly Option<int?> MaxVocab = new("--max-vocab") { Description = "Cap of each vocabulary, reserved tokens included (default 30000)." };
        public readonly Option<int?> MinFreq = new("--min-freq") { Description = "Minimum count for a token to enter a vocabulary (default 1)." };
        public readonly Option<string?> Cell = new("--cell") { Description = "rnn, rnn-relu, lstm (default), ln-lstm (layer-normalised LSTM), gru or gru-original." };
        public readonly Option<int?> Layers = new("--layers") { Description = "Encoder layers (default 2)." };
        public readonly Option<int?> Hidden = new("--hidden") { Description = "Encoder hidden size per direction (default 256)." };
        public readonly Option<bool?> Bidirectional = new("--bidirectional") { Description = "Bidirectional encoder (default true)." };
        public readonly Option<int?> DecoderLayers = new("--decoder-layers") { Description = "Decoder layers (default 2)." };
        public readonly Option<int?> DecoderHidden = new("--decoder-hidden") { Description = "Decoder hidden size (default 256)." };
        public readonly Option<int?> Embed = new("--embed") { Description = "Embedding size of both sides (default 128)." };
        public readonly Option<string?> Attention = new("--attention") { Description = "none, bahdanau, luong-dot or luong-general (default)." };
        public readonly Option<int?> AttentionSize = new("--attention-size") { Description = "Bahdanau's score hidden size (default 256)." };
        public readonly Option<bool?> ReverseSource = new("--reverse-source") { Description = "Feed the source reversed (Sutskever et al. 2014), for --attention none." };
        public readonly Option<float?> Dropout = new("--dropout") { Description = "Dropout on embeddings, between layers and before the output layer (default 0.1)." };
        public readonly Option<float?> TeacherForcing = new("--teacher-forcing") { Description = "Probability of feeding the gold previous token (default 1)." };
        public readonly Option<float?> LabelSmoothing = new("--label-smoothing") { Description = "Label smoothing ε of the cross-entropy (default 0.1)." };
        public readonly Option<int?> Batch = new("--batch") { Description = "Pairs per batch (default 128)." };

        public IEnumerable<Option> All => [Data, Format, StripStress, Valid, ValidFraction, TestFraction, SourceTokenizer, TargetTokenizer, MaxVocab, MinFreq,
            Cell, Layers, Hidden, Bidirectional, DecoderLayers, DecoderHidden, Embed, Attention, AttentionSize, ReverseSource, Dropout, TeacherForcing, LabelSmoothing, Batch];
    }

    public static Command Create()
    {
        var o = new Options();
        var common = new TrainingOptionsBinder();
        var command = new Command("train", "Train a sequence-to-sequence model (encoder-decoder with attention).");
        foreach (Option option in o.All) command.Options.Add(option);
        common.AddTo(command);
        command.SetAction((parse, cancel) => Task.FromResult(Train(parse, o, common, cancel)));
        return command;
    }

    private static int Train(ParseResult parse, Options o, TrainingOptionsBinder common, CancellationToken cancel)
    {
        TrainCommandRun run = common.Begin(parse, "seq2seq");
        var (runDir, saved) = (run.RunDir, run.Saved);

        string dataPath = run.PickText(o.Data, "data") ?? throw new ArgumentException("--data is required: a TSV file of source<TAB>target lines, or a CMUdict file with --format cmudict.");
        PairFormat format = Seq2SeqConfig.ParseFormat(run.PickText(o.Format, "format") ?? "tsv");
        bool cmu = format == PairFormat.CmuDict, strip = run.Pick(o.StripStress, "strip_stress", false);
        double validFraction = run.Pick(o.ValidFraction, "valid_fraction", 0.05), testFraction = run.Pick(o.TestFraction, "test_fraction", 0.0);
        if (!(validFraction > 0 && validFraction < 1)) throw new ArgumentException($"--valid-fraction must be in (0, 1); got {validFraction}.");
        if (!(testFraction >= 0 && validFraction + testFraction < 1)) throw new ArgumentException($"--test-fraction must be ≥ 0, with --valid-fraction + --test-fraction below 1; got {testFraction}.");
        int batchSize = run.Pick(o.Batch, "batch", 128);
        if (batchSize < 1) throw new ArgumentException($"--batch must be ≥ 1; got {batchSize}.");
        var lossOptions = new Seq2SeqLossOptions(run.Pick(o.TeacherForcing, "teacher_forcing", 1f), run.Pick(o.LabelSmoothing, "label_smoothing", 0.1f));
        lossOptions.Validate();
        ulong seed = run.Pick(common.Seed, "seed", 1UL);

        if (saved is null) CheckModelOptions(parse, o); // before the data is read: a typo fails at once
        IReadOnlyList<SequencePair> all = PairReader.Read(dataPath, format, strip);
        string? validPath = run.PickText(o.Valid, "valid");
        var (trainIdx, validIdx, testIdx) = PairReader.Split(all.Count, validPath is null ? validFraction : 0, testFraction, seed);
        IReadOnlyList<SequencePair> trainExamples = trainIdx.Select(i => all[i]).ToArray();
        IReadOnlyList<SequencePair> validExamples = validPath is null ? validIdx.Select(i => all[i]).ToArray() : PairReader.Read(validPath, format, strip);
        if (validExamples.Count == 0) throw new RecurrentDataException($"{dataPath}: too few examples to hold out a validation set; give --valid.");
        if (trainExamples.Count == 0) throw new RecurrentDataException($"{dataPath}: no examples are left for training after the validation and test splits.");

        using var display = TrainingDisplays.Create(bitsPerToken: false);
        Seq2SeqModel model = saved is not null ? LoadConfigOnly(runDir) : NewModel(parse, o, trainExamples, format, strip, seed);
        EncodedPairs train = Seq2SeqTask.Encode(model.Config, trainExamples);
        var task = new Seq2SeqTask(model, train, validExamples, batchSize, lossOptions, seed);
        var defaults = new TrainOptions(epochs: 20, learningRate: 2e-3f, evalEvery: task.StepsPerEpoch, schedule: ScheduleKind.Cosine, clip: 5f, seed: seed);
        TrainOptions options = common.Bind(parse, defaults, saved);
        display.Message($"{trainExamples.Count:N0} training sources ({train.Sources.Count:N0} pairs), {validExamples.Count:N0} validation, {testIdx.Length:N0} test; " +
            $"vocabularies {model.Config.SourceVocabulary.Count:N0} → {model.Config.TargetVocabulary.Count:N0}; " +
            $"{model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length):N0} parameters; run folder {runDir}");
        if (saved is null)
        {
            Directory.CreateDirectory(runDir);
            if (testIdx.Length > 0) WriteTest(Path.Combine(runDir, TestFile), testIdx.Select(i => all[i]));
            JsonObject training = TrainingOptionsBinder.ToJson(options);
            training["data"] = Path.GetFullPath(dataPath);
            training["format"] = cmu ? "cmudict" : "tsv";
            training["strip_stress"] = strip;
            training["valid"] = validPath is null ? null : Path.GetFullPath(validPath);
            training["valid_fraction"] = validFraction;
            training["test_fraction"] = testFraction;
            training["batch"] = batchSize;
            training["teacher_forcing"] = lossOptions.TeacherForcing;
            training["label_smoothing"] = lossOptions.LabelSmoothing;
            RunFiles.WriteJsonAtomic(Path.Combine(runDir, RunFiles.Config), model.Config.ToJson(training));
        }
        display.Train(task, options, runDir, resume: saved is not null, cancel,
            s => $"best validation exact match {s.BestMetric:P2} at step {s.BestStep}; model in {Path.Combine(runDir, RunFiles.Model)}" +
                (testIdx.Length > 0 ? $"; score the test part with: rnn seq2seq eval --model {runDir} --data {Path.Combine(runDir, TestFile)}" : ""));
        return ExitCodes.Success;
    }

    private static void CheckModelOptions(ParseResult parse, Options o)
    {
        Seq2SeqConfig.ParseTokenizer(parse.GetValue(o.SourceTokenizer) ?? "char", "--source-tokenizer");
        Seq2SeqConfig.ParseTokenizer(parse.GetValue(o.TargetTokenizer) ?? "word", "--target-tokenizer");
        Seq2SeqConfig.ParseAttention(parse.GetValue(o.Attention) ?? "luong-general");
        LanguageModelConfig.ParseCell(parse.GetValue(o.Cell) ?? "lstm", "--cell");
    }

    private static Seq2SeqModel LoadConfigOnly(string runDir)
    {
        string configPath = Path.Combine(runDir, RunFiles.Config);
        var config = Seq2SeqConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        return new Seq2SeqModel(config, new Seq2SeqNetwork(config.Shape, new Rng(0)));
    }

    private static Seq2SeqModel NewModel(ParseResult parse, Options o, IReadOnlyList<SequencePair> train, PairFormat format, bool strip, ulong seed)
    {
        bool cmu = format == PairFormat.CmuDict;
        TokenizerKind source = Seq2SeqConfig.ParseTokenizer(parse.GetValue(o.SourceTokenizer) ?? (cmu ? "char" : "word"), "--source-tokenizer");
        TokenizerKind target = Seq2SeqConfig.ParseTokenizer(parse.GetValue(o.TargetTokenizer) ?? "word", "--target-tokenizer");
        int cap = parse.GetValue(o.MaxVocab) ?? 30000, minCount = parse.GetValue(o.MinFreq) ?? 1;
        if (cap < 5) throw new ArgumentException($"--max-vocab must be ≥ 5 (4 reserved tokens and at least one more); got {cap}.");
        if (minCount < 1) throw new ArgumentException($"--min-freq must be ≥ 1; got {minCount}.");
        ITokenizer sourceTokenizer = Tokenizers.Create(source), targetTokenizer = Tokenizers.Create(target);
        Vocabulary sourceVocabulary = Vocabulary.Build(train.SelectMany(e => sourceTokenizer.Split(e.Source)).Where(t => t != WordTokenizer.Newline), cap, minCount);
        Vocabulary targetVocabulary = Vocabulary.Build(train.SelectMany(e => e.Targets.SelectMany(targetTokenizer.Split)).Where(t => t != WordTokenizer.Newline), cap, minCount);
        int hidden = parse.GetValue(o.Hidden) ?? 256;
        var shape = new Seq2SeqShape(sourceVocabulary.Count, targetVocabulary.Count,
            LanguageModelConfig.ParseCell(parse.GetValue(o.Cell) ?? "lstm", "--cell"), parse.GetValue(o.Embed) ?? 128,
            hidden, parse.GetValue(o.Layers) ?? 2, parse.GetValue(o.Bidirectional) ?? true,
            parse.GetValue(o.DecoderHidden) ?? 256, parse.GetValue(o.DecoderLayers) ?? 2,
            Seq2SeqConfig.ParseAttention(parse.GetValue(o.Attention) ?? "luong-general"), parse.GetValue(o.AttentionSize) ?? 256,
            parse.GetValue(o.Dropout) ?? 0.1f, parse.GetValue(o.ReverseSource) ?? false);
        shape.Validate();
        var config = new Seq2SeqConfig(source, target, sourceVocabulary, targetVocabulary, format, strip, shape);
        return new Seq2SeqModel(config, new Seq2SeqNetwork(shape, new Rng(seed)));
    }

    /// <summary>Writes held-out examples as TSV (alternatives joined by |), atomically.</summary>
    private static void WriteTest(string path, IEnumerable<SequencePair> examples)
    {
        var text = new StringBuilder();
        foreach (SequencePair e in examples) text.Append(e.Source).Append('\t').AppendJoin('|', e.Targets).Append('\n');
        RunFiles.WriteTextAtomic(path, text.ToString());
    }
}
