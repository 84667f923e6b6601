// Whitespace word tokens for language models and seq2seq. Spaces, tabs and other whitespace only separate
// words, but each newline is a token "\n" of its own, so a generated text keeps its lines and blank lines.
// Punctuation stays attached to its word ("end." is one token), as in the pre-tokenized corpora (PTB,
// Tatoeba pairs) this is meant for.
using System.Text;

namespace Recurrent.Data;

/// <summary>Splits on runs of whitespace and keeps each newline as the token <see cref="Newline"/>.</summary>
public sealed class WordTokenizer : ITokenizer
{
    /// <summary>The token that stands for a line break.</summary>
    public const string Newline = "\n";

    /// <inheritdoc />
    public TokenizerKind Kind => TokenizerKind.Word;

    /// <inheritdoc />
    /// <remarks>"a b\n\nc" gives a, b, \n, \n, c. A CR is whitespace, so CRLF gives one \n token.</remarks>
    public IEnumerable<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SplitWords(text);
    }

    /// <inheritdoc />
    /// <remarks>Single spaces between words and no spaces around <see cref="Newline"/>: a, b, \n, c gives "a b\nc".</remarks>
    public string Join(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var text = new StringBuilder();
        bool previousIsWord = false;
        foreach (string token in tokens)
        {
            ArgumentNullException.ThrowIfNull(token, nameof(tokens));
            bool isWord = token != Newline;
            if (isWord && previousIsWord) text.Append(' ');
            text.Append(token);
            previousIsWord = isWord;
        }
        return text.ToString();
    }

    private static IEnumerable<string> SplitWords(string text)
    {
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsWhiteSpace(c))
            {
                if (start < 0) start = i;
                continue;
            }
            if (start >= 0)
            {
                yield return text[start..i];
                start = -1;
            }
            if (c == '\n') yield return Newline;
        }
        if (start >= 0) yield return text[start..];
    }
}
