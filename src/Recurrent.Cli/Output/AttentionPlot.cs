// The attention heatmap of one translation: one row per output token, one column per source token, the
// cell's colour the weight the decoder gave that source token when it emitted that output token. Drawn by
// ScottPlot 5 and written atomically like the loss plots.
using ScottPlot;

namespace Recurrent.Cli.Output;

/// <summary>Saves attention weights as a PNG heatmap.</summary>
public static class AttentionPlot
{
    /// <summary>Draws <paramref name="weights"/> (per output token, weights over the source tokens) to <paramref name="path"/>.</summary>
    /// <param name="path">The PNG to write (replaced if present).</param>
    /// <param name="sourceTokens">Column labels, as the encoder read them.</param>
    /// <param name="outputTokens">Row labels, one per row of <paramref name="weights"/>.</param>
    /// <param name="weights">[rows][columns ≥ source tokens] attention weights.</param>
    /// <exception cref="ArgumentException">The labels and the weights disagree in size.</exception>
    public static void Save(string path, IReadOnlyList<string> sourceTokens, IReadOnlyList<string> outputTokens, IReadOnlyList<float[]> weights)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        int rows = outputTokens.Count, columns = sourceTokens.Count;
        if (weights.Count != rows || weights.Any(w => w.Length < columns))
            throw new ArgumentException($"AttentionPlot: {rows} output tokens and {columns} source tokens need {rows} rows of at least {columns} weights; got {weights.Count} rows.", nameof(weights));
        var intensities = new double[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) intensities[r, c] = weights[r][c];
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(intensities);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        // Cells are centred on whole coordinates and row 0 of the intensities is drawn at the top, so source
        // token c sits at x = c and output token r at y = rows − 1 − r.
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, columns).Select(c => (double)c).ToArray(), sourceTokens.Select(Visible).ToArray());
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), outputTokens.Select(Visible).ToArray());
        plot.XLabel("source");
        plot.YLabel("output");
        plot.Title("attention");
        int size = Math.Clamp(40 * Math.Max(rows, columns) + 200, 400, 1600);
        LossPlot.Write(plot, path, size + 100, size);
    }

    private static string Visible(string token) => token switch { " " => "␣", "\t" => "⇥", _ => token };
}
