// CoNLL-style column files: one token per line, columns separated by tabs (when the line holds a tab) or by
// runs of spaces, a blank line between sequences, `-DOCSTART-` lines (CoNLL-2003 document breaks) skipped.
// Column numbers count from 1; a negative number counts from the end (-1 = the last column), so the default
// token column 1 and tag column -1 read both `token<TAB>tag` and CoNLL-2003's `token POS chunk NER`.
using Recurrent.Data;

namespace Recurrent.Tasks.Tagging;

/// <summary>One sequence: its tokens, its tags (null when the file was read without tags), and where it starts.</summary>
public sealed record TaggedSequence(string[] Tokens, string[]? Tags, string Source);

/// <summary>Which columns hold the token and the tag.</summary>
/// <param name="TokenColumn">1-based; negative counts from the end.</param>
/// <param name="TagColumn">1-based; negative counts from the end.</param>
public sealed record ConllColumns(int TokenColumn = 1, int TagColumn = -1)
{
    /// <exception cref="ArgumentException">A column number is 0.</exception>
    public void Validate()
    {
        if (TokenColumn == 0) throw new ArgumentException("--token-column counts from 1 (or from the end with -1, -2, …); got 0.");
        if (TagColumn == 0) throw new ArgumentException("--tag-column counts from 1 (or from the end with -1, -2, …); got 0.");
    }
}

/// <summary>Reads CoNLL column files.</summary>
public static class ConllReader
{
    /// <summary>The line that starts a document in CoNLL-2003 files; skipped, with the blank line after it.</summary>
    public const string DocumentStart = "-DOCSTART-";

    /// <summary>Reads a UTF-8 CoNLL file with tags.</summary>
    /// <exception cref="RecurrentDataException">The file is missing, not UTF-8, empty, or a line lacks a column.</exception>
    public static IReadOnlyList<TaggedSequence> Read(string path, ConllColumns columns, bool withTags = true)
    {
        string text = TextFile.ReadUtf8(path);
        return Parse(new StringReader(text), path, columns, withTags);
    }

    /// <summary>Parses CoNLL text from a reader; <paramref name="name"/> names it in messages.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="name">The file name (or "standard input").</param>
    /// <param name="columns">Token and tag columns.</param>
    /// <param name="withTags">Whether every line must have the tag column; without, only the token is read.</param>
    /// <exception cref="RecurrentDataException">A line lacks the token or tag column, or there is no sequence at all.</exception>
    public static IReadOnlyList<TaggedSequence> Parse(TextReader reader, string name, ConllColumns columns, bool withTags = true)
    {
        columns.Validate();
        var sequences = new List<TaggedSequence>();
        var tokens = new List<string>();
        var tags = new List<string>();
        int lineNumber = 0, startLine = 0;
        void Flush()
        {
            if (tokens.Count > 0)
                sequences.Add(new TaggedSequence(tokens.ToArray(), withTags ? tags.ToArray() : null, $"{name}: line {startLine}"));
            tokens.Clear();
            tags.Clear();
        }
        while (reader.ReadLine() is string line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }
            string[] fields = Split(line);
            if (fields[0] == DocumentStart)
            {
                Flush();
                continue;
            }
            if (withTags && fields.Length < 2)
                throw new RecurrentDataException($"{name}: line {lineNumber} has one column ('{fields[0]}'); expected a token and a tag separated by a tab or spaces.");
            if (tokens.Count == 0) startLine = lineNumber;
            tokens.Add(Column(fields, columns.TokenColumn, "--token-column", name, lineNumber));
            if (withTags) tags.Add(Column(fields, columns.TagColumn, "--tag-column", name, lineNumber));
        }
        Flush();
        if (sequences.Count == 0)
            throw new RecurrentDataException($"{name}: no tokens found; expected one token per line{(withTags ? " with its tag" : "")} and a blank line between sequences.");
        return sequences;
    }

    /// <summary>The fields of a line: split on tabs when it holds one, else on runs of spaces.</summary>
    public static string[] Split(string line) => line.Contains('\t')
        ? line.Split('\t').Select(f => f.Trim()).ToArray()
        : line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string Column(string[] fields, int column, string option, string name, int lineNumber)
    {
        int index = column > 0 ? column - 1 : fields.Length + column;
        if (index < 0 || index >= fields.Length)
            throw new RecurrentDataException($"{name}: line {lineNumber} has {fields.Length} column(s), but {option} {column} needs at least {Math.Abs(column)}; " +
                "check the separator (tabs, or spaces) and the column options.");
        string value = fields[index];
        if (value.Length == 0)
            throw new RecurrentDataException($"{name}: line {lineNumber}, column {index + 1} ({option}) is empty; expected a token or tag.");
        return value;
    }
}
