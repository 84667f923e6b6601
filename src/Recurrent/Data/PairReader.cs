// Readers for sequence-to-sequence pairs.
//   TSV: one pair per line, "source<TAB>target" (the Tatoeba/Anki layout; columns after the second, such as
//        attribution, are ignored). A target "a|b|c" lists alternatives, any of which is a correct answer.
//        Lines with the same source are one example whose alternatives are all their targets.
//   CMUdict: "WORD  PH1 PH2 …"; alternate pronunciations "WORD(1)  …" join their headword's example; text
//        after '#' and lines starting with ";;;" are comments; stress digits can be stripped (AH0 → AH).
// Blank lines are skipped. Every error names the file and line and what was expected.
using System.Text;

namespace Recurrent.Data;

/// <summary>The layout of a pairs file.</summary>
public enum PairFormat
{
    /// <summary>source&lt;TAB&gt;target per line.</summary>
    Tsv,
    /// <summary>The CMU Pronouncing Dictionary: WORD, two spaces, phones.</summary>
    CmuDict,
}

/// <summary>One source with every target that counts as correct for it.</summary>
/// <param name="Source">The source text (for CMUdict: the headword).</param>
/// <param name="Targets">The correct targets, in file order, without duplicates; training uses each as a pair.</param>
/// <param name="Origin">Where the example starts, "file:line", for messages.</param>
public sealed record SequencePair(string Source, IReadOnlyList<string> Targets, string Origin);

/// <summary>Reads pairs files.</summary>
public static class PairReader
{
    /// <summary>Reads <paramref name="path"/> in <paramref name="format"/>.</summary>
    /// <param name="path">A UTF-8 file.</param>
    /// <param name="format">TSV or CMUdict.</param>
    /// <param name="stripStress">CMUdict: drop the stress digits from the phones.</param>
    /// <returns>The examples, in order of first appearance of their source.</returns>
    /// <exception cref="RecurrentDataException">The file is missing, not UTF-8, has no pairs, or a line is malformed.</exception>
    public static IReadOnlyList<SequencePair> Read(string path, PairFormat format, bool stripStress = false) =>
        Parse(TextFile.ReadUtf8(path), path, format, stripStress);

    /// <summary>Parses the text of a pairs file; <paramref name="path"/> names it in messages.</summary>
    public static IReadOnlyList<SequencePair> Parse(string text, string path, PairFormat format, bool stripStress = false)
    {
        var order = new List<string>();
        var examples = new Dictionary<string, (List<string> Targets, string Origin)>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            var (source, targets) = format == PairFormat.Tsv ? ParseTsv(line, path, i + 1) : ParseCmuDict(line, path, i + 1, stripStress);
            if (source is null) continue;
            if (!examples.TryGetValue(source, out var entry))
            {
                entry = (new List<string>(), $"{path}:{i + 1}");
                examples[source] = entry;
                order.Add(source);
            }
            foreach (string target in targets!)
                if (!entry.Targets.Contains(target)) entry.Targets.Add(target);
        }
        if (order.Count == 0)
            throw new RecurrentDataException(format == PairFormat.Tsv
                ? $"{path}: no pairs found; expected lines of the form source<TAB>target."
                : $"{path}: no entries found; expected CMUdict lines of the form WORD  PH1 PH2 ….");
        return order.Select(s => new SequencePair(s, examples[s].Targets, examples[s].Origin)).ToArray();
    }

    private static (string? Source, string[]? Targets) ParseTsv(string line, string path, int lineNumber)
    {
        if (string.IsNullOrWhiteSpace(line)) return (null, null);
        string[] columns = line.Split('\t');
        if (columns.Length < 2)
            throw new RecurrentDataException($"{path}: line {lineNumber} has no tab; expected source<TAB>target (use --format cmudict for a pronouncing dictionary).");
        string source = columns[0].Trim();
        if (source.Length == 0) throw new RecurrentDataException($"{path}: line {lineNumber} has an empty source; expected source<TAB>target.");
        string[] targets = columns[1].Split('|').Select(t => t.Trim()).ToArray();
        if (targets.Any(t => t.Length == 0))
            throw new RecurrentDataException($"{path}: line {lineNumber} has an empty target{(targets.Length > 1 ? " alternative" : "")}; expected source<TAB>target, with alternatives written a|b|c.");
        return (source, targets);
    }

    private static (string? Source, string[]? Targets) ParseCmuDict(string line, string path, int lineNumber, bool stripStress)
    {
        if (line.StartsWith(";;;", StringComparison.Ordinal)) return (null, null);
        int comment = line.IndexOf('#');
        if (comment >= 0) line = line[..comment];
        string[] fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 0) return (null, null);
        if (fields.Length == 1)
            throw new RecurrentDataException($"{path}: line {lineNumber} has the word '{fields[0]}' but no phones; expected WORD  PH1 PH2 ….");
        string word = fields[0];
        int paren = word.IndexOf('(');
        if (paren > 0 && word.EndsWith(')') && int.TryParse(word.AsSpan(paren + 1, word.Length - paren - 2), out _)) word = word[..paren];
        var phones = new StringBuilder();
        for (int f = 1; f < fields.Length; f++)
        {
            if (f > 1) phones.Append(' ');
            phones.Append(stripStress ? StripStress(fields[f]) : fields[f]);
        }
        return (word, [phones.ToString()]);
    }

    /// <summary>A phone without its stress digits: AH0 → AH.</summary>
    public static string StripStress(string phone) => phone.TrimEnd('0', '1', '2');

    /// <summary>Splits examples into train, validation and test parts by example (so all targets of a source stay together), seeded.</summary>
    /// <param name="count">Number of examples.</param>
    /// <param name="validFraction">Fraction held out for validation, in [0, 1).</param>
    /// <param name="testFraction">Fraction held out for testing, in [0, 1).</param>
    /// <param name="seed">The shuffle's seed: the same seed gives the same split.</param>
    /// <returns>Indices of each part, each in increasing order.</returns>
    public static (int[] Train, int[] Valid, int[] Test) Split(int count, double validFraction, double testFraction, ulong seed)
    {
        if (!(validFraction >= 0 && testFraction >= 0 && validFraction + testFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validFraction), $"--valid-fraction and --test-fraction must be ≥ 0 with a sum below 1; got {validFraction} and {testFraction}.");
        int[] order = Enumerable.Range(0, count).ToArray();
        var rng = new Tensors.Rng(seed ^ 0x5E9253E0UL);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        int test = (int)Math.Round(count * testFraction), valid = (int)Math.Round(count * validFraction);
        int[] Sorted(IEnumerable<int> part) { var a = part.ToArray(); Array.Sort(a); return a; }
        return (Sorted(order.Skip(test + valid)), Sorted(order.Skip(test).Take(valid)), Sorted(order.Take(test)));
    }
}
