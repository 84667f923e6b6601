// Results as a table: a Spectre.Console table on an interactive terminal, aligned plain text elsewhere (pipes,
// files, CI), and the same rows as CSV (invariant culture, header first) for scripts and spreadsheets.
using System.Globalization;
using System.Text;
using Recurrent.Training;
using Spectre.Console;

namespace Recurrent.Cli.Output;

/// <summary>A header and rows of already formatted cells.</summary>
internal sealed class ResultTable(params string[] header)
{
    private readonly List<string[]> _rows = new();

    public IReadOnlyList<string> Header { get; } = header;

    public IReadOnlyList<string[]> Rows => _rows;

    /// <summary>Adds a row; numbers are formatted with the invariant culture ("G6" for doubles unless already strings).</summary>
    public void Add(params object?[] cells)
    {
        if (cells.Length != Header.Count)
            throw new ArgumentException($"ResultTable: a row needs {Header.Count} cells ({string.Join(", ", Header)}); got {cells.Length}.", nameof(cells));
        _rows.Add(cells.Select(Format).ToArray());
    }

    /// <summary>Draws the table on <paramref name="output"/>: Spectre.Console when it is a terminal's standard output, plain otherwise.</summary>
    public void Write(TextWriter output, string title)
    {
        if (ReferenceEquals(output, Console.Out) && ConsoleTrainingObserver.IsInteractiveTerminal())
        {
            var table = new Table { Title = new TableTitle(Markup.Escape(title)) };
            foreach (string h in Header) table.AddColumn(new TableColumn(Markup.Escape(h)).RightAligned());
            foreach (string[] row in _rows) table.AddRow(row.Select(Markup.Escape).ToArray());
            AnsiConsole.Write(table);
            return;
        }
        int[] widths = Header.Select((h, c) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[c].Length))).ToArray();
        output.WriteLine(title);
        output.WriteLine(string.Join("  ", Header.Select((h, c) => h.PadLeft(widths[c]))));
        foreach (string[] row in _rows) output.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadLeft(widths[c]))));
    }

    /// <summary>Writes the rows as CSV to <paramref name="path"/> atomically.</summary>
    public void SaveCsv(string path)
    {
        var text = new StringBuilder();
        text.AppendLine(string.Join(",", Header.Select(Quote)));
        foreach (string[] row in _rows) text.AppendLine(string.Join(",", row.Select(Quote)));
        RunFiles.WriteTextAtomic(path, text.ToString());
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => double.IsNaN(d) ? "NaN" : d.ToString("G6", CultureInfo.InvariantCulture),
        float f => float.IsNaN(f) ? "NaN" : f.ToString("G6", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Quote(string cell) => cell.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;
}
