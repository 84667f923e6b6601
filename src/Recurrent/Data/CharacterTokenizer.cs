// Character tokens as in char-rnn, but by Unicode scalar value rather than UTF-16 code unit: an emoji
// outside the Basic Multilingual Plane is one token, not two halves of a surrogate pair that the model
// could emit apart. Combining marks are scalar values of their own, so "e" + U+0301 is two tokens.
using System.Text;

namespace Recurrent.Data;

/// <summary>One token per Unicode scalar value (<see cref="Rune"/>).</summary>
/// <remarks>A lone surrogate in the input, which is not a scalar value, becomes U+FFFD.</remarks>
public sealed class CharacterTokenizer : ITokenizer
{
    // Single-character strings for ASCII, shared so that a large English text does not allocate a string per character.
    private static readonly string[] Ascii = [.. Enumerable.Range(0, 128).Select(c => ((char)c).ToString())];

    /// <inheritdoc />
    public TokenizerKind Kind => TokenizerKind.Character;

    /// <inheritdoc />
    public IEnumerable<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return SplitRunes(text);
    }

    /// <inheritdoc />
    public string Join(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return string.Concat(tokens);
    }

    private static IEnumerable<string> SplitRunes(string text)
    {
        foreach (Rune rune in text.EnumerateRunes())
            yield return rune.Value < Ascii.Length ? Ascii[rune.Value] : rune.ToString();
    }
}
