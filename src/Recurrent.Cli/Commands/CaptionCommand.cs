// `rnn caption train | predict | eval | make-shapes`: image captioning (one-to-many).
using System.CommandLine;
using System.Text.Json;
using Recurrent.Cli.Captioning;
using Recurrent.Tasks.Captioning;

namespace Recurrent.Cli.Commands;

internal static class CaptionCommand
{
    public static Command Create()
    {
        var caption = new Command("caption", "Image captioning (one-to-many): Show and Tell, optionally with attention over a grid of image features.");
        caption.Subcommands.Add(CaptionTrainCommand.Create());
        caption.Subcommands.Add(CreatePredict());
        caption.Subcommands.Add(CreateEval());
        caption.Subcommands.Add(MakeShapesCommand.Create());
        return caption;
    }

    /// <summary>--images, --features and --onnx-model, shared by train, predict and eval.</summary>
    public static (Option<string?> Images, Option<string?> Features, Option<string?> OnnxModel) FeatureOptions() => (
        new Option<string?>("--images") { Description = "Folder of the image files named in the captions (their pixels are the features, or the input of --onnx-model)." },
        new Option<string?>("--features") { Description = "Safetensors file of image features keyed by image file name, each [features] or [cells, features]." },
        new Option<string?>("--onnx-model") { Description = "ONNX image model ([1, 3, H, W] in) run with ONNX Runtime on each of --images; its first output is the features." });

    /// <summary>The features of the named images for a trained model, from the source it was trained on.</summary>
    public static ImageFeatures Load(CaptionConfig config, string? images, string? features, IEnumerable<string> names, string? onnxModel = null)
    {
        ImageFeatures loaded = config.Features switch
        {
            FeatureSource.Pixels => ImageFiles.PixelFeaturesOf(images ?? throw new ArgumentException("--images is required: this model reads the pixels of image files."),
                names, config.ImageSize, config.PatchSize),
            FeatureSource.Onnx => OnnxImageEncoder.Encode(onnxModel ?? config.OnnxModel ?? throw new ArgumentException("--onnx-model is required: this model reads the features of an ONNX image model."),
                config.OnnxImageNetNormalize, images ?? throw new ArgumentException("--images is required: the ONNX image model reads the image files."), names, config.ImageSize),
            _ => ImageFeatures.ReadSafeTensors(features ?? throw new ArgumentException("--features is required: this model reads image features from a safetensors file.")),
        };
        if ((loaded.Cells, loaded.Size) != (config.Shape.FeatureCells, config.Shape.FeatureSize))
            throw new RecurrentDataException($"{loaded.Source}: features are [{loaded.Cells}, {loaded.Size}] per image but the model was trained on [{config.Shape.FeatureCells}, {config.Shape.FeatureSize}].");
        return loaded;
    }

    private static (Option<int?> Beam, Option<float?> LengthPenalty) DecodingOptions() => (
        new Option<int?>("--beam") { Description = "Beam width (default 3; 1 is greedy decoding)." },
        new Option<float?>("--length-penalty") { Description = "α of the length normalisation log p / |y|^α (default 1)." });

    private static Command CreatePredict()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn caption train'.", Required = true };
        var (images, features, onnx) = FeatureOptions();
        var names = new Argument<string[]>("images") { Description = "Image file names to caption (default: one per line of standard input; with --features and no input, every image in the file).", Arity = ArgumentArity.ZeroOrMore };
        var (beam, penalty) = DecodingOptions();
        var json = new Option<bool>("--json") { Description = "One JSON object per image." };
        var threads = CommonOptions.Threads();
        var command = new Command("predict", "Caption images: one line per image, image<TAB>caption.") { model, images, features, onnx, names, beam, penalty, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Captioner captioner = Captioner.Load(parse.GetValue(model)!);
            string[] list = parse.GetValue(names) ?? [];
            string? featuresPath = parse.GetValue(features);
            if (list.Length == 0 && (featuresPath is null || captioner.Config.Features == FeatureSource.Pixels))
                list = ReadLines(Console.In).ToArray();
            ImageFeatures loaded = Load(captioner.Config, parse.GetValue(images), featuresPath, list, parse.GetValue(onnx));
            if (list.Length == 0) list = loaded.Names.ToArray();
            var options = captioner.Options(parse.GetValue(beam) ?? 3, parse.GetValue(penalty) ?? 1f);
            string[][] captions = Captioner.Generate(captioner.Network, captioner.Config, list.Select(n => loaded[n]).ToArray(), options);
            var output = parse.InvocationConfiguration.Output;
            for (int i = 0; i < list.Length; i++)
            {
                string text = string.Join(' ', captions[i]);
                output.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new CaptionPredictResult(list[i], text), CaptionJsonContext.Default.CaptionPredictResult)
                    : $"{list[i]}\t{text}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is string line)
            if (!string.IsNullOrWhiteSpace(line)) yield return line.Trim();
    }

    private static Command CreateEval()
    {
        var model = new Option<string>("--model") { Description = "Model folder written by 'rnn caption train'.", Required = true };
        var data = new Option<string>("--data") { Description = "Captions file (CSV image,caption with a header: the Flickr8k layout); every caption of an image is a reference.", Required = true };
        var (images, features, onnx) = FeatureOptions();
        var (beam, penalty) = DecodingOptions();
        var json = new Option<bool>("--json") { Description = "One JSON object: bleu1…bleu4, brevity_penalty, exact_match, images." };
        var threads = CommonOptions.Threads();
        var command = new Command("eval", "Corpus BLEU-1…4 of generated captions against all references of each image, and exact match.") { model, data, images, features, onnx, beam, penalty, json, threads };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            Captioner captioner = Captioner.Load(parse.GetValue(model)!);
            IReadOnlyList<CaptionedImage> captioned = CaptionsReader.Read(parse.GetValue(data)!);
            ImageFeatures loaded = Load(captioner.Config, parse.GetValue(images), parse.GetValue(features), captioned.Select(c => c.Image), parse.GetValue(onnx));
            int beamSize = parse.GetValue(beam) ?? 3;
            CaptionScores s = Captioner.Score(captioner.Network, captioner.Config, captioned, loaded, captioner.Options(beamSize, parse.GetValue(penalty) ?? 1f));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(new CaptionEvalResult(Math.Round(s.Bleu.Bleu1, 6), Math.Round(s.Bleu.Bleu2, 6), Math.Round(s.Bleu.Bleu3, 6),
                    Math.Round(s.Bleu.Bleu4, 6), Math.Round(s.Bleu.BrevityPenalty, 6), Math.Round(s.ExactMatch, 6), s.Images, beamSize), CaptionJsonContext.Default.CaptionEvalResult));
            else
                output.WriteLine($"BLEU-1 {100 * s.Bleu.Bleu1:F2}  BLEU-2 {100 * s.Bleu.Bleu2:F2}  BLEU-3 {100 * s.Bleu.Bleu3:F2}  BLEU-4 {100 * s.Bleu.Bleu4:F2}  " +
                    $"(brevity penalty {s.Bleu.BrevityPenalty:F3})  exact match {s.ExactMatch:P2}  images {s.Images:N0}  beam {beamSize}");
            return ExitCodes.Success;
        });
        return command;
    }
}
