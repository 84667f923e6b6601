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
        Fill(plot, new PlotPanel(title, xLabel, yLabel, series, logY));
        Write(plot, path);
    }

    /// <summary>Saves several panels side by side in one PNG (each panel as <see cref="SaveLines"/> draws one plot), 1000 pixels wide per panel.</summary>
    /// <param name="path">The PNG to write (replaced if present); its folder is created if missing.</param>
    /// <param name="panels">The panels, left to right.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or there are no panels.</exception>
    public static void SavePanels(string path, IReadOnlyList<PlotPanel> panels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0) throw new ArgumentException("LossPlot.SavePanels: give at least one panel.", nameof(panels));
        var multiplot = new Multiplot();
        multiplot.AddPlots(panels.Count);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        for (int i = 0; i < panels.Count; i++) Fill(multiplot.GetPlot(i), panels[i]);
        Write(path, (file, w, h) => multiplot.SavePng(file, w, h), Width * panels.Count, Height);
    }

    private static void Fill(Plot plot, PlotPanel panel)
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (var (name, points) in panel.Series)
        {
            ArgumentNullException.ThrowIfNull(points);
            var shown = panel.LogY ? points.Where(p => p.Y > 0).Select(p => (p.X, Math.Log10(p.Y))) : points;
            var finite = Finite(shown);
            AddLine(plot, name, finite, markerSize: panel.MarkerSize);
            if (finite.Y.Length > 0) (low, high) = (Math.Min(low, finite.Y.Min()), Math.Max(high, finite.Y.Max()));
        }
        // Whole powers of ten, unless the data spans less than two decades (then too few would show).
        if (panel.LogY) plot.Axes.Left.TickGenerator = high - low >= 2 ? LogTicks() : FractionalLogTicks();
        Label(plot, panel.Title, panel.XLabel, panel.YLabel);
        plot.ShowLegend(Edge.Right); // beside the data: experiment lines can end anywhere
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

    // Ticks anywhere on a log10 axis, labelled with the value they stand for.
    private static NumericAutomatic FractionalLogTicks() => new()
    {
        LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Renders <paramref name="plot"/> to a PNG at <paramref name="path"/> atomically (temporary file, then rename).</summary>
    internal static void Write(Plot plot, string path, int width = Width, int height = Height) =>
        Write(path, (file, w, h) => File.WriteAllBytes(file, plot.GetImageBytes(w, h, ImageFormat.Png)), width, height);

    private static void Write(string path, Action<string, int, int> render, int width, int height)
    {
        string full = Path.GetFullPath(path);
        Recurrent.Training.RunFiles.RequireNotFolder(path);
        string folder = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp.png");
        try
        {
            render(temp, width, height);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}

/// <summary>One panel of a plot: named lines of (x, y) points.</summary>
/// <param name="Title">Title above the panel; none when empty.</param>
/// <param name="XLabel">Label of the horizontal axis.</param>
/// <param name="YLabel">Label of the vertical axis.</param>
/// <param name="Series">The lines, each with its legend name; points are drawn in the order given.</param>
/// <param name="LogY">Logarithmic vertical axis (base 10); points with y ≤ 0 are then left out.</param>
/// <param name="MarkerSize">Marker size in pixels; 0 draws lines only. Default 5.</param>
public sealed record PlotPanel(string Title, string XLabel, string YLabel,
    IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> Series, bool LogY = false, float MarkerSize = 5);
