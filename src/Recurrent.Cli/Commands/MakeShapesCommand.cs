// `rnn caption make-shapes`: a synthetic captioning data set of coloured shapes, as PNG files and captions
// in the Flickr8k layout, with object pairs held out of training for the test captions.
using System.CommandLine;
using Recurrent.Cli.Captioning;
using Recurrent.Tasks.Captioning;
using Recurrent.Tensors;

namespace Recurrent.Cli.Commands;

internal static class MakeShapesCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write images/, captions.txt (training) and test_captions.txt (held-out pairs).", Required = true };
        var count = new Option<int?>("--count") { Description = "Training images (default 3000)." };
        var testCount = new Option<int?>("--test-count") { Description = "Test images, all of object pairs never seen together in training (default 300)." };
        var size = new Option<int?>("--size") { Description = "Image side in pixels (default 32)." };
        var seed = new Option<ulong?>("--seed") { Description = "Random seed (default 1)." };
        var command = new Command("make-shapes", "Make a synthetic captioning set: two coloured shapes per image, captions such as 'a red circle above a blue square'.")
        {
            output, count, testCount, size, seed,
        };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(count) ?? 3000, m = parse.GetValue(testCount) ?? 300, side = parse.GetValue(size) ?? 32;
            if (n < 1 || m < 0) throw new ArgumentException($"--count must be ≥ 1 and --test-count ≥ 0; got {n} and {m}.");
            if (side < 12 || side > 256) throw new ArgumentException($"--size must be between 12 and 256 pixels; got {side}.");
            ulong s = parse.GetValue(seed) ?? 1;
            string dir = parse.GetValue(output)!, imageDir = Path.Combine(dir, "images");
            if (File.Exists(dir))
                throw new ArgumentException($"--out {dir}: that is a file; give a folder.");
            string[] present = new[] { "captions.txt", "test_captions.txt", "images" }.Where(f => Path.Exists(Path.Combine(dir, f))).ToArray();
            if (present.Length > 0)
                throw new ArgumentException($"--out {dir}: it already holds {string.Join(", ", present)}; choose another --out (nothing was overwritten).");
            Directory.CreateDirectory(imageDir);
            var heldOut = ShapesScene.HeldOutPairs(s);
            var rng = new Rng(s);
            List<CaptionedImage> Make(int how, bool test, string prefix)
            {
                var list = new List<CaptionedImage>();
                for (int i = 0; i < how; i++)
                {
                    ShapesScene scene = ShapesScene.Random(rng, side, heldOut, test);
                    string name = $"{prefix}-{i + 1:D5}.png";
                    ImageFiles.WritePng(Path.Combine(imageDir, name), scene.Render(side), side);
                    list.Add(new CaptionedImage(name, scene.Captions(), name));
                }
                return list;
            }
            CaptionsReader.Write(Path.Combine(dir, "captions.txt"), Make(n, false, "train"));
            if (m > 0) CaptionsReader.Write(Path.Combine(dir, "test_captions.txt"), Make(m, true, "test"));
            parse.InvocationConfiguration.Output.WriteLine($"{dir}: {n:N0} training and {m:N0} test images of {side}×{side} pixels in images/; " +
                $"captions.txt and test_captions.txt; {heldOut.Count} of {ShapesScene.ObjectCount * (ShapesScene.ObjectCount - 1) / 2} object pairs appear only in the test images");
            return ExitCodes.Success;
        });
        return command;
    }
}
