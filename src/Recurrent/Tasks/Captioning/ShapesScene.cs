// A synthetic captioning data set: two coloured shapes on a black square, one above or to the left of the
// other, with captions that describe them ("a red circle above a blue square", and the same scene seen from
// the other shape: "a blue square below a red circle"). Scenes are rasterised here (RGB in [0, 1]) so tests
// need no image library; the CLI writes them as PNG files. Some pairs of objects are held out of training
// entirely, so a model must caption combinations it has never seen together.
using Recurrent.Tensors;

namespace Recurrent.Tasks.Captioning;

/// <summary>One scene: object A above (or to the left of) object B, at pixel centres, objects of side <see cref="ObjectSize"/>.</summary>
public sealed record ShapesScene(int ColorA, int ShapeA, int ColorB, int ShapeB, bool Vertical, int AX, int AY, int BX, int BY, int ObjectSize)
{
    public static readonly string[] Colors = ["red", "green", "blue", "yellow"];
    public static readonly string[] Shapes = ["circle", "square", "triangle"];
    private static readonly float[][] Rgb = [[0.9f, 0.15f, 0.15f], [0.15f, 0.75f, 0.25f], [0.2f, 0.35f, 0.95f], [0.95f, 0.85f, 0.15f]];

    /// <summary>Objects are numbered colour·3 + shape: 12 in all.</summary>
    public static int ObjectCount => Colors.Length * Shapes.Length;

    /// <summary>The reference captions: from A's side, then from B's.</summary>
    public string[] Captions()
    {
        string a = $"a {Colors[ColorA]} {Shapes[ShapeA]}", b = $"a {Colors[ColorB]} {Shapes[ShapeB]}";
        return Vertical ? [$"{a} above {b}", $"{b} below {a}"] : [$"{a} to the left of {b}", $"{b} to the right of {a}"];
    }

    /// <summary>The unordered object pairs {i, j}, i &lt; j, held out of training: every <paramref name="every"/>-th of a seeded shuffle.</summary>
    public static HashSet<(int, int)> HeldOutPairs(ulong seed, int every = 6)
    {
        var pairs = new List<(int, int)>();
        for (int i = 0; i < ObjectCount; i++)
            for (int j = i + 1; j < ObjectCount; j++) pairs.Add((i, j));
        var rng = new Rng(seed ^ 0x5CE4EUL);
        for (int k = pairs.Count - 1; k > 0; k--)
        {
            int m = rng.NextInt(k + 1);
            (pairs[k], pairs[m]) = (pairs[m], pairs[k]);
        }
        return pairs.Where((_, k) => k % every == 0).ToHashSet();
    }

    /// <summary>A random scene of side <paramref name="size"/> whose pair is (<paramref name="heldOut"/>) or is not in <paramref name="pairs"/>.</summary>
    public static ShapesScene Random(Rng rng, int size, HashSet<(int, int)> pairs, bool heldOut)
    {
        while (true)
        {
            int a = rng.NextInt(ObjectCount), b = rng.NextInt(ObjectCount);
            if (a == b || pairs.Contains((Math.Min(a, b), Math.Max(a, b))) != heldOut) continue;
            int side = Math.Max(4, size * 3 / 10), half = size / 2, margin = side / 2 + 1;
            int Along(int low, int high) => low + rng.NextInt(Math.Max(1, high - low + 1));
            bool vertical = rng.NextInt(2) == 0;
            int ax = Along(margin, size - 1 - margin), ay = Along(margin, half - margin), bx = Along(margin, size - 1 - margin), by = Along(half + margin - 1, size - 1 - margin);
            if (!vertical) (ax, ay, bx, by) = (ay, ax, by, bx);
            return new ShapesScene(a / Shapes.Length, a % Shapes.Length, b / Shapes.Length, b % Shapes.Length, vertical, ax, ay, bx, by, side);
        }
    }

    /// <summary>RGB pixels [size, size, 3] in [0, 1], row-major, black background.</summary>
    public float[] Render(int size)
    {
        var rgb = new float[size * size * 3];
        Draw(rgb, size, ColorA, ShapeA, AX, AY);
        Draw(rgb, size, ColorB, ShapeB, BX, BY);
        return rgb;
    }

    private void Draw(float[] rgb, int size, int color, int shape, int cx, int cy)
    {
        float r = ObjectSize / 2f;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float dx = x - cx, dy = y - cy;
                bool inside = shape switch
                {
                    0 => dx * dx + dy * dy <= r * r,
                    1 => Math.Abs(dx) <= r * 0.85f && Math.Abs(dy) <= r * 0.85f,
                    _ => dy <= r && dy >= -r && Math.Abs(dx) <= (dy + r) / 2,   // apex up
                };
                if (inside) Rgb[color].CopyTo(rgb, (y * size + x) * 3);
            }
    }
}

/// <summary>Pixel features: an RGB image [size, size, 3] cut into patch×patch cells of patch·patch·3 values each.</summary>
public static class PixelFeatures
{
    /// <summary>[cells, patch·patch·3] with cells = (size/patch)², in row-major cell order.</summary>
    /// <exception cref="ArgumentException">The size is not a multiple of the patch, or the pixels do not fit.</exception>
    public static float[] FromRgb(ReadOnlySpan<float> rgb, int size, int patch)
    {
        if (patch < 1 || size % patch != 0)
            throw new ArgumentException($"--image-size {size} must be a multiple of --patch {patch}.");
        if (rgb.Length != size * size * 3) throw new ArgumentException($"PixelFeatures: {rgb.Length} values for a {size}×{size} RGB image.", nameof(rgb));
        int grid = size / patch, cell = patch * patch * 3;
        var features = new float[grid * grid * cell];
        for (int gy = 0; gy < grid; gy++)
            for (int gx = 0; gx < grid; gx++)
                for (int dy = 0; dy < patch; dy++)
                    rgb.Slice(((gy * patch + dy) * size + gx * patch) * 3, patch * 3)
                        .CopyTo(features.AsSpan((gy * grid + gx) * cell + dy * patch * 3, patch * 3));
        return features;
    }

    /// <summary>(cells, features per cell) for a size and patch.</summary>
    public static (int Cells, int Size) Shape(int size, int patch) => ((size / patch) * (size / patch), patch * patch * 3);
}
