// Character-level truecasing data (Susanto et al. 2016, "Learning to capitalize with character-level
// recurrent neural networks"): the input is the lower-cased text one character at a time, the tag of each
// character its case in the original: U (upper case) or O (lower case, or not a letter). Whitespace runs
// become one space, written as the visible token <sp> so a CoNLL line never ends in blank. Sequences are
// sentences (ending at . ! or ? before a space), cut at a space when longer than a bound.
using System.Text;

namespace Recurrent.Tasks.Tagging;

/// <summary>Builds truecasing sequences from text and applies predicted case tags to text.</summary>
public static class TruecaseData
{
    /// <summary>The token that stands for a space.</summary>
    public const string SpaceToken = "<sp>";

    /// <summary>The tag of an upper-case character.</summary>
    public const string Upper = "U";

    /// <summary>The tag of every other character.</summary>
    public const string Other = "O";

    /// <summary>Sentences of <paramref name="text"/> of at most <paramref name="maxLength"/> characters, as tagged sequences.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> &lt; 8.</exception>
    public static IReadOnlyList<TaggedSequence> Sequences(string text, int maxLength, string source)
    {
        if (maxLength < 8) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "--max-len must be ≥ 8 characters.");
        var result = new List<TaggedSequence>();
        foreach (string sentence in Sentences(Normalize(text), maxLength))
        {
            Rune[] runes = sentence.EnumerateRunes().ToArray();
            result.Add(new TaggedSequence(runes.Select(TokenOf).ToArray(), runes.Select(r => Rune.IsUpper(r) ? Upper : Other).ToArray(),
                $"{source}: sentence {result.Count + 1}"));
        }
        return result;
    }

    /// <summary>The token of a character: lower-cased, or <see cref="SpaceToken"/> for a space.</summary>
    public static string TokenOf(Rune rune) => rune.Value == ' ' ? SpaceToken : Rune.ToLowerInvariant(rune).ToString();

    /// <summary>Whitespace runs as one space, trimmed.</summary>
    public static string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune))
            {
                space = sb.Length > 0;
                continue;
            }
            if (space) sb.Append(' ');
            space = false;
            sb.Append(rune.ToString());
        }
        return sb.ToString();
    }

    /// <summary>Cuts normalised text after sentence ends, and long sentences at the last space within the bound.</summary>
    public static IEnumerable<string> Sentences(string text, int maxLength)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            bool end = text[i] == ' ' && i > 0 && ".!?".Contains(EndChar(text, i - 1));
            if (end || i == text.Length - 1)
            {
                int stop = end ? i : i + 1;
                foreach (string piece in Bounded(text[start..stop], maxLength)) yield return piece;
                start = i + 1;
            }
        }
    }

    // The sentence-final punctuation before a space, looking through closing quotes and brackets.
    private static char EndChar(string text, int i)
    {
        while (i > 0 && "\"'”’)]".Contains(text[i])) i--;
        return text[i];
    }

    private static IEnumerable<string> Bounded(string sentence, int maxLength)
    {
        while (sentence.Length > maxLength)
        {
            int cut = sentence.LastIndexOf(' ', maxLength - 1);
            if (cut <= 0) cut = maxLength;
            yield return sentence[..cut];
            sentence = sentence[cut..].TrimStart(' ');
        }
        if (sentence.Length > 0) yield return sentence;
    }

    /// <summary>The text of lower-cased tokens with their predicted case applied.</summary>
    public static string Apply(IReadOnlyList<string> tokens, IReadOnlyList<string> tags)
    {
        var sb = new StringBuilder(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i] == SpaceToken ? " " : tokens[i];
            sb.Append(tags[i] == Upper ? token.ToUpperInvariant() : token);
        }
        return sb.ToString();
    }

    /// <summary>Writes sequences as a CoNLL file (token TAB tag, blank line between sequences), atomically.</summary>
    public static void WriteConll(string path, IEnumerable<TaggedSequence> sequences)
    {
        var sb = new StringBuilder();
        foreach (TaggedSequence s in sequences)
        {
            for (int i = 0; i < s.Tokens.Length; i++) sb.Append(s.Tokens[i]).Append('\t').Append(s.Tags![i]).Append('\n');
            sb.Append('\n');
        }
        Training.RunFiles.WriteTextAtomic(path, sb.ToString());
    }
}
