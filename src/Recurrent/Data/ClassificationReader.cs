// Readers for labelled text: CSV or TSV with a header (quoting and embedded newlines handled by CsvHelper),
// JSONL with "text" and "label", or a folder with one subfolder per class and one file per example (the
// layout of IMDB's aclImdb and of the SpamAssassin corpus). Text that is not valid UTF-8 is decoded leniently
// (U+FFFD) and counted. Errors name the file (and line) and say what was expected.
using System.Globalization;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;

namespace Recurrent.Data;

/// <summary>One labelled text and where it came from (file and line, for messages).</summary>
public sealed record LabeledText(string Text, string Label, string Source);

/// <summary>What a reader found: the examples and how many had invalid UTF-8.</summary>
public sealed record LabeledData(IReadOnlyList<LabeledText> Examples, int InvalidUtf8Files, string Path)
{
    /// <summary>The distinct labels, sorted ordinally.</summary>
    public IReadOnlyList<string> Labels => Examples.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
}

/// <summary>Reads labelled text in the formats the classifier accepts.</summary>
public static class ClassificationReader
{
    /// <summary>
    /// Reads <paramref name="path"/>: a folder (one subfolder per class), a .jsonl file, or a .csv/.tsv file
    /// (by extension; .txt with tabs counts as TSV) with a header naming <paramref name="textColumn"/> and <paramref name="labelColumn"/>.
    /// </summary>
    /// <exception cref="RecurrentDataException">Missing or unreadable file, missing columns, no examples.</exception>
    public static LabeledData Read(string path, string textColumn = "text", string labelColumn = "label")
    {
        if (Directory.Exists(path)) return ReadFolder(path);
        if (!File.Exists(path)) throw new RecurrentDataException($"{path}: file or folder not found; check the path.");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        LabeledData data = extension switch
        {
            ".jsonl" or ".ndjson" => ReadJsonLines(path),
            ".csv" => ReadDelimited(path, ",", textColumn, labelColumn),
            ".tsv" or ".tab" or ".txt" => ReadDelimited(path, "\t", textColumn, labelColumn),
            _ => throw new RecurrentDataException($"{path}: unknown format '{extension}'; expected .csv, .tsv, .jsonl or a folder with one subfolder per class."),
        };
        if (data.Examples.Count == 0) throw new RecurrentDataException($"{path}: no examples found; the file has a header but no rows.");
        return data;
    }

    private static LabeledData ReadFolder(string path)
    {
        string[] classes = Directory.GetDirectories(path).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new RecurrentDataException($"{path}: the folder has no subfolders; expected one subfolder per class, each with one file per example.");
        var examples = new List<LabeledText>();
        int invalid = 0;
        foreach (string folder in classes)
        {
            string label = Path.GetFileName(folder);
            foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                if (name.StartsWith('.')) continue; // hidden files such as .DS_Store
                byte[] bytes;
                try
                {
                    bytes = File.ReadAllBytes(file);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new RecurrentDataException($"{file}: cannot be read ({e.Message}).", e);
                }
                string text = DecodeLenient(bytes, out bool hadInvalid);
                if (hadInvalid) invalid++;
                examples.Add(new LabeledText(text, label, file));
            }
        }
        if (examples.Count == 0) throw new RecurrentDataException($"{path}: the class folders hold no files.");
        return new LabeledData(examples, invalid, path);
    }

    private static LabeledData ReadJsonLines(string path)
    {
        string content = TextFile.ReadUtf8Lenient(path, out int invalid);
        var examples = new List<LabeledText>();
        int lineNumber = 0;
        foreach (string line in content.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                JsonElement root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("text", out JsonElement text) || text.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("label", out JsonElement label) || label.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                    throw new RecurrentDataException($"{path}: line {lineNumber} must be an object with a string \"text\" and a \"label\" (string or number).");
                examples.Add(new LabeledText(text.GetString()!, label.ValueKind == JsonValueKind.String ? label.GetString()! : label.GetRawText(), $"{path}:{lineNumber}"));
            }
            catch (JsonException e)
            {
                throw new RecurrentDataException($"{path}: line {lineNumber} is not valid JSON ({e.Message}).", e);
            }
        }
        return new LabeledData(examples, invalid > 0 ? 1 : 0, path);
    }

    private static LabeledData ReadDelimited(string path, string delimiter, string textColumn, string labelColumn)
    {
        string content = TextFile.ReadUtf8Lenient(path, out int invalid);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter,
            DetectColumnCountChanges = true,
            BadDataFound = null,
        };
        using var reader = new StringReader(content);
        using var csv = new CsvReader(reader, config);
        var examples = new List<LabeledText>();
        try
        {
            if (!csv.Read() || !csv.ReadHeader())
                throw new RecurrentDataException($"{path}: no header row; the first line must name the columns, e.g. '{textColumn}{delimiter}{labelColumn}'.");
            string[] header = csv.HeaderRecord ?? [];
            int textIndex = Array.IndexOf(header, textColumn), labelIndex = Array.IndexOf(header, labelColumn);
            if (textIndex < 0 || labelIndex < 0)
                throw new RecurrentDataException($"{path}: the header has columns [{string.Join(", ", header)}] but no '{(textIndex < 0 ? textColumn : labelColumn)}' column; name the columns with --text-column and --label-column.");
            while (csv.Read())
            {
                int line = csv.Parser.RawRow;
                string? text = csv.GetField(textIndex), label = csv.GetField(labelIndex);
                if (text is null || label is null)
                    throw new RecurrentDataException($"{path}: line {line} has fewer columns than the header.");
                if (label.Length == 0) throw new RecurrentDataException($"{path}: line {line} has an empty label.");
                examples.Add(new LabeledText(text, label, $"{path}:{line}"));
            }
        }
        catch (CsvHelperException e)
        {
            throw new RecurrentDataException($"{path}: line {e.Context?.Parser?.RawRow} cannot be parsed as {(delimiter == "\t" ? "TSV" : "CSV")} ({e.Message.Split('\n')[0]}).", e);
        }
        return new LabeledData(examples, invalid > 0 ? 1 : 0, path);
    }

    /// <summary>UTF-8 with invalid sequences replaced by U+FFFD; CRLF becomes LF; a BOM is dropped.</summary>
    private static string DecodeLenient(byte[] bytes, out bool hadInvalid)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        hadInvalid = !System.Text.Unicode.Utf8.IsValid(span);
        return System.Text.Encoding.UTF8.GetString(span).Replace("\r\n", "\n");
    }
}
