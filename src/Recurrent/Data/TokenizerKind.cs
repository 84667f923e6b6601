// The tokenizers a model can be trained with; the choice is saved in the model's config.json.
namespace Recurrent.Data;

/// <summary>How text is cut into tokens.</summary>
public enum TokenizerKind
{
    /// <summary>One token per Unicode scalar value (<see cref="CharacterTokenizer"/>).</summary>
    Character,

    /// <summary>Words separated by whitespace, with each newline kept as a token (<see cref="WordTokenizer"/>).</summary>
    Word,
}
