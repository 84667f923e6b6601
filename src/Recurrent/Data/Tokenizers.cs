// The one place a TokenizerKind becomes a tokenizer.
namespace Recurrent.Data;

/// <summary>Creates tokenizers by kind.</summary>
public static class Tokenizers
{
    /// <summary>The tokenizer of the given kind.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
    public static ITokenizer Create(TokenizerKind kind) => kind switch
    {
        TokenizerKind.Character => new CharacterTokenizer(),
        TokenizerKind.Word => new WordTokenizer(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind,
            $"Tokenizers.Create: expected one of {string.Join(", ", Enum.GetNames<TokenizerKind>())}."),
    };
}
