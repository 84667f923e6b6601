// PNG plots of training curves and experiment results, drawn by ScottPlot 5 (Skia underneath). Each file is
// rendered to a temporary file in the target folder and renamed into place, so a reader never sees half a PNG
// and an old plot survives a failed render. Points that are NaN or infinite are left out.
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Recurrent.Cli.Output;

/// <summary>Saves loss curves and other line plots as 1000×600 PNG files.</summary>
public static class LossPlot
{
    /// <summary>Width of every plot, pixels.</summary>
    public const int Width = 1000;

    /// <summary>Height of every plot, pixels.</summary>
    public const int Height = 600;

    /// <summary>Saves training and validation loss against the step as a PNG.</summary>
    /// <param name="path">The PNG to write (replaced if present); its folder is created if missing.</param>
    /// <param name="train">Training loss, drawn as a line.</param>
    /// <param name="valid">Validation loss, drawn as a line with markers.</param>
    /// <param name="yLabel">Label of the vertical axis.</param>
    /// <param name="title">Title above the plot; none when empty.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public static void Save(string path, IReadOnlyList<(double Step, double Loss)> train, IReadOnlyList<(double Step, double Loss)> valid,
        string yLabel = "loss (nats/token)", string title = "")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(valid);
        var plot = new Plot();
        AddLine(plot, "train", Finite(train.Select(p => (p.Step, p.Loss))), markerSize: 0);
        AddLine(plot, "valid", Finite(valid.Select(p => (p.Step, p.Loss))), markerSize: 6);
        Label(plot, title, "step", yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        Write(plot, path);
    }

    /// <summary>Saves named series of (x, y) points as lines in one PNG, e.g. loss against hidden size per cell kind.</summary>
    /// <param name="path">The PNG to write (replaced if present); its folder is created if missing.</param>
    /// <param name="title">Title above the plot; none when empty.</param>
    /// <param name="xLabel">Label of the horizontal axis.</param>
    /// <param name="yLabel">Label of the vertical axis.</param>
    /// <param name="series">The lines, each with its legend name; points are drawn in the order given.</param>
    /// <param name="logY">Logarithmic vertical axis (base 10); points with y ≤ 0 are then left out.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public static void SaveLines(string path, string title, string xLabel, string yLabel,
        IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series, bool logY = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        foreach (var (name, points) in series)
        {
            ArgumentNullException.ThrowIfNull(points);
            var shown = logY ? points.Where(p => p.Y > 0).Select(p => (p.X, Math.Log10(p.Y))) : points;
            AddLine(plot, name, Finite(shown), markerSize: 5);
        }
        if (logY) plot.Axes.Left.TickGenerator = LogTicks();
        Label(plot, title, xLabel, yLabel);
        plot.ShowLegend(Edge.Right); // beside the data: experiment lines can end anywhere
        Write(plot, path);
    }

    private static (double[] X, double[] Y) Finite(IEnumerable<(double X, double Y)> points)
    {
        var kept = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToArray();
        return (kept.Select(p => p.X).ToArray(), kept.Select(p => p.Y).ToArray());
    }

    private static void AddLine(Plot plot, string name, (double[] X, double[] Y) points, float markerSize)
    {
        if (points.X.Length == 0) return;
        var line = plot.Add.Scatter(points.X, points.Y);
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = markerSize;
    }

    private static void Label(Plot plot, string title, string xLabel, string yLabel)
    {
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (!string.IsNullOrEmpty(title)) plot.Title(title);
    }

    // Ticks at whole powers of ten (the data holds log10 y), minor ticks at 2…9 × each power.
    private static NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Renders <paramref name="plot"/> to a PNG at <paramref name="path"/> atomically (temporary file, then rename).</summary>
    internal static void Write(Plot plot, string path, int width = Width, int height = Height)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, plot.GetImageBytes(width, height, ImageFormat.Png));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
