// Image features from an ONNX image model run through ONNX Runtime: each image is decoded and resized with
// SkiaSharp to the model's input size, laid out as [1, 3, H, W] (optionally normalised with ImageNet's mean and
// standard deviation, as torchvision's models expect), and the model's first output becomes the features:
// [1, F] → one vector; [1, C, h, w] → a grid of h·w cells of C features; [1, N, F] → N cells. Kept in the CLI
// so the core library carries no ONNX Runtime dependency.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recurrent.Tasks.Captioning;

namespace Recurrent.Cli.Captioning;

internal static class OnnxImageEncoder
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f];

    /// <summary>Features of the named images in <paramref name="folder"/> from the model at <paramref name="modelPath"/>.</summary>
    /// <param name="fallbackSize">The input side when the model's input has symbolic height or width.</param>
    /// <exception cref="RecurrentDataException">The model cannot be loaded, has no [1, 3, H, W] input, or its output is not 2-D, 3-D or 4-D.</exception>
    public static ImageFeatures Encode(string modelPath, bool imageNetNormalize, string folder, IEnumerable<string> images, int fallbackSize)
    {
        if (!File.Exists(modelPath)) throw new RecurrentDataException($"{modelPath}: ONNX model not found; pass the .onnx file of an image model with --onnx-model.");
        if (!Directory.Exists(folder)) throw new RecurrentDataException($"{folder}: image folder not found.");
        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath);
        }
        catch (OnnxRuntimeException e)
        {
            throw new RecurrentDataException($"{modelPath}: ONNX Runtime cannot load the model ({e.Message}).", e);
        }
        using (session)
        {
            var (inputName, input) = session.InputMetadata.First();
            int[] dims = input.Dimensions;
            if (dims.Length != 4 || (dims[1] != 3 && dims[1] > 0))
                throw new RecurrentDataException($"{modelPath}: input '{inputName}' is [{string.Join(", ", dims)}]; expected an image input [N, 3, H, W].");
            int height = dims[2] > 0 ? dims[2] : fallbackSize, width = dims[3] > 0 ? dims[3] : fallbackSize;
            if (height != width) throw new RecurrentDataException($"{modelPath}: input is {height}×{width}; only square inputs are supported.");
            var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
            int cells = -1, size = -1;
            foreach (string image in images.Distinct())
            {
                float[] rgb = ImageFiles.ReadRgb(Path.Combine(folder, image), height);
                var tensor = new DenseTensor<float>([1, 3, height, width]);
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                        for (int c = 0; c < 3; c++)
                        {
                            float v = rgb[(y * width + x) * 3 + c];
                            tensor[0, c, y, x] = imageNetNormalize ? (v - Mean[c]) / Std[c] : v;
                        }
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, tensor)]);
                var output = results.First().AsTensor<float>();
                var (n, f, vector) = Cells(output, modelPath);
                if (cells < 0) (cells, size) = (n, f);
                features[image] = vector;
            }
            return new ImageFeatures(Math.Max(cells, 1), Math.Max(size, 1), features, modelPath);
        }
    }

    /// <summary>The output as [cells, F] row-major.</summary>
    private static (int Cells, int Size, float[] Values) Cells(Tensor<float> output, string modelPath)
    {
        int[] d = output.Dimensions.ToArray();
        switch (d.Length)
        {
            case 2: return (1, d[1], output.ToArray());
            case 3: return (d[1], d[2], output.ToArray());
            case 4:
            {
                int c = d[1], cells = d[2] * d[3];
                var values = new float[cells * c];
                for (int k = 0; k < c; k++)
                    for (int y = 0; y < d[2]; y++)
                        for (int x = 0; x < d[3]; x++) values[(y * d[3] + x) * c + k] = output[0, k, y, x];
                return (cells, c, values);
            }
            default:
                throw new RecurrentDataException($"{modelPath}: the first output is [{string.Join(", ", d)}]; expected [1, F], [1, N, F] or [1, C, h, w].");
        }
    }
}
