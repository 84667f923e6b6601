// Image features by image file name: one vector per image ([F], seen as one cell) or a grid of spatial cells
// ([cells, F], e.g. a CNN's last convolutional map or patches of pixels) for attention. They come from a
// safetensors file keyed by image name, or from an extractor outside the library (the CLI decodes images).
using Recurrent.Interop;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Captioning;

/// <summary>Features of a set of images, every one [Cells, Size].</summary>
public sealed class ImageFeatures
{
    private readonly Dictionary<string, float[]> _features;

    /// <exception cref="ArgumentException">A vector does not hold Cells·Size values.</exception>
    public ImageFeatures(int cells, int size, Dictionary<string, float[]> features, string source)
    {
        if (cells < 1 || size < 1) throw new ArgumentOutOfRangeException(nameof(cells), $"Image features need ≥ 1 cell and ≥ 1 feature; got [{cells}, {size}].");
        foreach (var (name, vector) in features)
            if (vector.Length != cells * size)
                throw new ArgumentException($"{source}: features of '{name}' hold {vector.Length} values; expected [{cells}, {size}] = {cells * size}.", nameof(features));
        (Cells, Size, _features, Source) = (cells, size, features, source);
    }

    /// <summary>S: spatial cells per image (1 for a single vector).</summary>
    public int Cells { get; }

    /// <summary>F: features per cell.</summary>
    public int Size { get; }

    /// <summary>Where the features came from (a file, or a folder of images), for messages.</summary>
    public string Source { get; }

    public int Count => _features.Count;

    /// <summary>The image names, in ordinal order.</summary>
    public IEnumerable<string> Names => _features.Keys.Order(StringComparer.Ordinal);

    /// <summary>The [Cells·Size] features of an image.</summary>
    /// <exception cref="RecurrentDataException">The image has no features.</exception>
    public float[] this[string image] => _features.TryGetValue(image, out float[]? v) ? v
        : throw new RecurrentDataException($"{Source}: no features for image '{image}'; every image named in the captions needs them.");

    public bool Contains(string image) => _features.ContainsKey(image);

    /// <summary>Reads a safetensors file whose tensor names are image file names, each [F] or [cells, F] (all alike).</summary>
    /// <exception cref="RecurrentDataException">The file is damaged, empty, or shapes differ.</exception>
    public static ImageFeatures ReadSafeTensors(string path)
    {
        SafeTensorsFile file = SafeTensors.Read(path);
        if (file.Names.Count == 0) throw new RecurrentDataException($"{path}: the file holds no tensors; expected one per image, named by image file name.");
        int cells = -1, size = -1;
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string name in file.Names)
        {
            Tensor t = file[name];
            (int c, int f) = t.Rank switch
            {
                1 => (1, t.Dim(0)),
                2 => (t.Dim(0), t.Dim(1)),
                _ => throw new RecurrentDataException($"{path}: tensor '{name}' is {t.ShapeText}; expected [features] or [cells, features]."),
            };
            if (cells < 0) (cells, size) = (c, f);
            else if ((c, f) != (cells, size))
                throw new RecurrentDataException($"{path}: tensor '{name}' is {t.ShapeText} but '{file.Names[0]}' is [{cells}, {size}]; every image needs the same shape.");
            features[name] = t.Span.ToArray();
        }
        return new ImageFeatures(cells, size, features, path);
    }

    /// <summary>Writes features in the layout <see cref="ReadSafeTensors"/> reads ([cells, F] each).</summary>
    public void WriteSafeTensors(string path) =>
        SafeTensors.Write(path, _features.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => new KeyValuePair<string, Tensor>(kv.Key, Tensor.FromArray(kv.Value, Cells, Size))).ToArray());
}
