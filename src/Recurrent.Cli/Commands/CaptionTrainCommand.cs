// `rnn caption train`: trains a captioner into a run folder, with the same trainer, progress, checkpoints and
// --resume as the other tasks; the best model is kept by validation BLEU-4 (greedy decoding).
using System.CommandLine;
using System.Text.Json.Nodes;
using Recurrent.Cli.Captioning;
using Recurrent.Cli.Output;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Captioning;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal static class CaptionTrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Captions file: CSV 'image,caption' with a header (the Flickr8k captions.txt layout), several captions per image." };
        var valid = new Option<string?>("--valid") { Description = "Validation captions file (default: a seeded split of the images of --data)." };
        var validFraction = new Option<double?>("--valid-fraction") { Description = "Fraction of the images held out when --valid is not given (default 0.1)." };
        var (images, features, onnx) = CaptionCommand.FeatureOptions();
        var onnxNormalize = new Option<string?>("--onnx-normalize") { Description = "With --onnx-model: imagenet (default: ImageNet mean and std, as torchvision's models expect) or none (pixels in [0, 1])." };
        var imageSize = new Option<int?>("--image-size") { Description = "With --images: the side images are resized to (default 32)." };
        var patch = new Option<int?>("--patch") { Description = "With --images: the side of a feature cell in pixels (default 4; the whole image with --patch = --image-size)." };
        var attention = new Option<string?>("--attention") { Description = "none (default: Show and Tell), bahdanau, luong-general or luong-dot over the feature cells (Show, Attend and Tell)." };
        var attentionSize = new Option<int?>("--attention-size") { Description = "Hidden size of Bahdanau's score (default 64)." };
        var maxLength = new Option<int?>("--max-len") { Description = "Most words per caption (default 30)." };
        var minFreq = new Option<int?>("--min-freq") { Description = "Minimum count for a word to enter the vocabulary (default 1)." };
        var cell = new Option<string?>("--cell") { Description = "rnn, rnn-relu, lstm (default), ln-lstm (layer-normalised LSTM), gru or gru-original." };
        var layers = new Option<int?>("--layers") { Description = "Decoder layers (default 1)." };
        var hidden = new Option<int?>("--hidden") { Description = "Decoder hidden size (default 128)." };
        var embed = new Option<int?>("--embed") { Description = "Word vector size (default 64)." };
        var dropout = new Option<float?>("--dropout") { Description = "Dropout on word vectors, between layers and on outputs (default 0.1)." };
        var batch = new Option<int?>("--batch") { Description = "Captions per batch (default 32)." };
        var common = new TrainingOptionsBinder();
        var command = new Command("train", "Train a captioner on captions and image features.")
        {
            data, valid, validFraction, images, features, onnx, onnxNormalize, imageSize, patch, attention, attentionSize, maxLength, minFreq, cell, layers, hidden, embed, dropout, batch,
        };
        common.AddTo(command);
        command.SetAction((parse, cancel) => Task.FromResult(Train(parse, cancel)));
        return command;

        int Train(ParseResult parse, CancellationToken cancel)
        {
            TrainCommandRun run = common.Begin(parse, "caption");
            var (runDir, saved) = (run.RunDir, run.Saved);

            string dataPath = run.PickText(data, "data") ?? throw new ArgumentException("--data is required: a captions file (CSV image,caption with a header).");
            string? imagesPath = run.PickText(images, "images"), featuresPath = run.PickText(features, "features"), onnxPath = run.PickText(onnx, "onnx_model");
            if ((imagesPath is null) == (featuresPath is null))
                throw new ArgumentException("Give exactly one source of image features: --images FOLDER (pixels, or the input of --onnx-model) or --features FILE.safetensors.");
            string normalize = run.PickText(onnxNormalize, "onnx_normalize") ?? "imagenet";
            if (normalize is not ("imagenet" or "none")) throw new ArgumentException($"--onnx-normalize must be imagenet or none; got '{normalize}'.");
            int size = run.Pick(imageSize, "image_size", 32), patchSize = run.Pick(patch, "patch", 4), maxLen = run.Pick(maxLength, "max_len", 30), minCount = run.Pick(minFreq, "min_freq", 1);
            int batchSize = run.Pick(batch, "batch", 32);
            if (imagesPath is not null && (size < 1 || patchSize < 1 || size % patchSize != 0))
                throw new ArgumentException($"--image-size must be a positive multiple of --patch; got {size} and {patchSize}.");
            if (maxLen < 1) throw new ArgumentException($"--max-len must be ≥ 1; got {maxLen}.");
            if (minCount < 1) throw new ArgumentException($"--min-freq must be ≥ 1; got {minCount}.");
            if (batchSize < 1) throw new ArgumentException($"--batch must be ≥ 1; got {batchSize}.");
            double fraction = run.Pick(validFraction, "valid_fraction", 0.1);
            if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentException($"--valid-fraction must be in (0, 0.5]; got {fraction}.");
            AttentionKind attentionKind = CaptionConfig.ParseAttention(run.PickText(attention, "attention") ?? "none");
            CellKind cellKind = LanguageModelConfig.ParseCell(run.PickText(cell, "cell") ?? "lstm", "--cell");
            ulong seed = run.Pick(common.Seed, "seed", 1UL);

            IReadOnlyList<CaptionedImage> all = CaptionsReader.Read(dataPath), trainData, validData;
            string? validPath = run.PickText(valid, "valid");
            if (validPath is not null) (trainData, validData) = (all, CaptionsReader.Read(validPath));
            else (trainData, validData) = Splits.RandomHoldOut(all, fraction, seed ^ 0xCA97UL, dataPath, "image(s)");

            using var display = TrainingDisplays.Create(bitsPerToken: false);
            var names = trainData.Concat(validData).Select(i => i.Image);
            ImageFeatures imageFeatures = featuresPath is not null ? ImageFeatures.ReadSafeTensors(featuresPath)
                : onnxPath is not null ? OnnxImageEncoder.Encode(onnxPath, normalize == "imagenet", imagesPath!, names, size)
                : ImageFiles.PixelFeaturesOf(imagesPath!, names, size, patchSize);
            Captioner model;
            if (saved is not null)
            {
                string configPath = Path.Combine(runDir, RunFiles.Config);
                var config = CaptionConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
                model = new Captioner(config, new CaptionNetwork(config.Shape, new Rng(0)));
            }
            else
            {
                Vocabulary vocabulary = Vocabulary.Build(trainData.SelectMany(i => i.Captions).SelectMany(CaptionConfig.Tokenize), minFrequency: minCount);
                var shape = new CaptionShape(vocabulary.Count, imageFeatures.Cells, imageFeatures.Size, cellKind, run.Pick(embed, "embed", 64), run.Pick(hidden, "hidden", 128),
                    run.Pick(layers, "layers", 1), attentionKind, run.Pick(attentionSize, "attention_size", 64), run.Pick(dropout, "dropout", 0.1f));
                FeatureSource source = featuresPath is not null ? FeatureSource.SafeTensors : onnxPath is not null ? FeatureSource.Onnx : FeatureSource.Pixels;
                var config = new CaptionConfig(vocabulary, source, size, patchSize, maxLen, shape)
                {
                    OnnxModel = onnxPath is null ? null : Path.GetFullPath(onnxPath),
                    OnnxImageNetNormalize = normalize == "imagenet",
                };
                model = new Captioner(config, new CaptionNetwork(shape, new Rng(seed)));
            }
            var task = new CaptioningTask(model, trainData, validData, imageFeatures, batchSize, seed);
            var defaults = new TrainOptions(epochs: 10, learningRate: 2e-3f, evalEvery: task.StepsPerEpoch, schedule: ScheduleKind.Cosine, seed: seed);
            TrainOptions options = common.Bind(parse, defaults, saved);
            display.Message($"{trainData.Count:N0} training and {validData.Count:N0} validation images ({trainData.Sum(i => i.Captions.Count):N0} training captions); " +
                $"features [{imageFeatures.Cells}, {imageFeatures.Size}] per image; vocabulary {model.Config.Vocabulary.Count:N0}; " +
                $"{model.Network.NamedParameters().Sum(p => (long)p.Parameter.Value.Length):N0} parameters; run folder {runDir}");
            if (saved is null)
            {
                Directory.CreateDirectory(runDir);
                JsonObject training = TrainingOptionsBinder.ToJson(options);
                training["data"] = Path.GetFullPath(dataPath);
                training["valid"] = validPath is null ? null : Path.GetFullPath(validPath);
                training["valid_fraction"] = fraction;
                training["images"] = imagesPath is null ? null : Path.GetFullPath(imagesPath);
                training["features"] = featuresPath is null ? null : Path.GetFullPath(featuresPath);
                training["onnx_model"] = onnxPath is null ? null : Path.GetFullPath(onnxPath);
                training["onnx_normalize"] = normalize;
                training["image_size"] = size;
                training["patch"] = patchSize;
                training["batch"] = batchSize;
                RunFiles.WriteJsonAtomic(Path.Combine(runDir, RunFiles.Config), model.Config.ToJson(training));
            }
            display.Train(task, options, runDir, resume: saved is not null, cancel,
                s => $"best validation BLEU-4 {s.BestMetric:F4} at step {s.BestStep}; model in {Path.Combine(runDir, RunFiles.Model)}");
            return ExitCodes.Success;
        }
    }
}
