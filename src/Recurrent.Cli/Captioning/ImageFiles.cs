// Image files for captioning through SkiaSharp (the decoder ScottPlot already brings): decoding and resizing
// to the model's square input, and writing the synthetic scenes as PNG. Kept in the CLI so the library
// carries no imaging package.
using Recurrent.Tasks.Captioning;
using Recurrent.Training;
using SkiaSharp;

namespace Recurrent.Cli.Captioning;

internal static class ImageFiles
{
    /// <summary>RGB [size, size, 3] in [0, 1] of an image file, resized (bilinear) to size×size.</summary>
    /// <exception cref="RecurrentDataException">The file is missing or not an image SkiaSharp can decode.</exception>
    public static float[] ReadRgb(string path, int size)
    {
        if (!File.Exists(path)) throw new RecurrentDataException($"{path}: image file not found; --images must be the folder that holds the images named in the captions.");
        using SKBitmap? decoded = SKBitmap.Decode(path);
        if (decoded is null) throw new RecurrentDataException($"{path}: not an image that can be decoded (PNG, JPEG, WebP, GIF, BMP are read).");
        using SKBitmap resized = decoded.Width == size && decoded.Height == size ? decoded.Copy(SKColorType.Rgba8888)
            : decoded.Resize(new SKImageInfo(size, size, SKColorType.Rgba8888), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        var rgb = new float[size * size * 3];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                SKColor c = resized.GetPixel(x, y);
                int i = (y * size + x) * 3;
                (rgb[i], rgb[i + 1], rgb[i + 2]) = (c.Red / 255f, c.Green / 255f, c.Blue / 255f);
            }
        return rgb;
    }

    /// <summary>Writes RGB [size, size, 3] in [0, 1] as a PNG file, atomically.</summary>
    public static void WritePng(string path, float[] rgb, int size)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int i = (y * size + x) * 3;
                bitmap.SetPixel(x, y, new SKColor(Byte(rgb[i]), Byte(rgb[i + 1]), Byte(rgb[i + 2])));
            }
        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        RunFiles.WriteBytesAtomic(path, png.AsSpan());
    }

    private static byte Byte(float v) => (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);

    /// <summary>Pixel features of the named images in a folder, for a model reading pixels.</summary>
    public static ImageFeatures PixelFeaturesOf(string folder, IEnumerable<string> images, int size, int patch)
    {
        if (!Directory.Exists(folder)) throw new RecurrentDataException($"{folder}: image folder not found.");
        var (cells, width) = PixelFeatures.Shape(size, patch);
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string image in images.Distinct())
            features[image] = PixelFeatures.FromRgb(ReadRgb(Path.Combine(folder, image), size), size, patch);
        return new ImageFeatures(cells, width, features, folder);
    }
}
