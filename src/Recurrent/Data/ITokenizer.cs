// The contract every tokenizer keeps: Split cuts text into tokens, Join puts generated tokens back into
// text. For the tokenizers here, Split(Join(Split(text))) equals Split(text).
namespace Recurrent.Data;

/// <summary>Cuts text into tokens and joins tokens back into text.</summary>
public interface ITokenizer
{
    /// <summary>Which tokenizer this is, as saved in a model's config.</summary>
    TokenizerKind Kind { get; }

    /// <summary>The tokens of <paramref name="text"/>, in order.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    IEnumerable<string> Split(string text);

    /// <summary>The text made of <paramref name="tokens"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is null.</exception>
    string Join(IEnumerable<string> tokens);
}
