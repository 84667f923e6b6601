// The sequence tagger (aligned many-to-many): each token → its representation (a word embedding, a
// character-level encoder of the word's spelling, or both side by side) → dropout → recurrent stack
// (bidirectional by default) → dropout → linear → logits over the tags at every step. The character encoder
// (Lample et al. 2016) runs a bidirectional recurrent layer over the characters of every word in the batch at
// once and concatenates its two final states. Parameter names match this PyTorch module tree:
//   embedding = nn.Embedding(V, E)                                  (word or both)
//   char_embedding = nn.Embedding(Vc, Ec); char_rnn = nn.LSTM(Ec, Hc, bidirectional=True)   (char or both)
//   rnn = nn.LSTM(E + 2·Hc, H, L, bidirectional=…, dropout=p); classifier = nn.Linear(D·H, K)
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Tagging;

/// <summary>How a token is represented at the input of the recurrent stack.</summary>
public enum TokenRepresentation
{
    /// <summary>A learned vector per vocabulary entry.</summary>
    Word,
    /// <summary>A bidirectional character encoder over the token's spelling (no word vectors).</summary>
    Character,
    /// <summary>The word vector and the character encoding side by side.</summary>
    Both,
}

/// <summary>Hyperparameters of the tagger network.</summary>
public sealed record TaggerShape(int VocabularySize, int CharacterVocabularySize, int Tags, TokenRepresentation Representation, CellKind Cell,
    int EmbeddingSize, int CharacterEmbeddingSize, int CharacterHiddenSize, int HiddenSize, int Layers, bool Bidirectional, float Dropout)
{
    public bool UsesWords => Representation != TokenRepresentation.Character;
    public bool UsesCharacters => Representation != TokenRepresentation.Word;

    /// <summary>Width of a token's representation: E (words) + 2·Hc (characters).</summary>
    public int InputSize => (UsesWords ? EmbeddingSize : 0) + (UsesCharacters ? 2 * CharacterHiddenSize : 0);

    /// <summary>D·H: the width of the stack's output.</summary>
    public int OutputSize => (Bidirectional ? 2 : 1) * HiddenSize;

    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public void Validate()
    {
        if (UsesWords && (VocabularySize < 2 || EmbeddingSize < 1))
            throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), $"Word vectors need a vocabulary of ≥ 2 and --embed ≥ 1; got {VocabularySize} and {EmbeddingSize}.");
        if (UsesCharacters && (CharacterVocabularySize < 2 || CharacterEmbeddingSize < 1 || CharacterHiddenSize < 1))
            throw new ArgumentOutOfRangeException(nameof(CharacterHiddenSize),
                $"The character encoder needs ≥ 2 characters, --char-embed ≥ 1 and --char-hidden ≥ 1; got {CharacterVocabularySize}, {CharacterEmbeddingSize}, {CharacterHiddenSize}.");
        if (Tags < 1) throw new ArgumentOutOfRangeException(nameof(Tags), Tags, "A tagger needs at least one tag.");
        if (HiddenSize < 1 || Layers < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"--hidden and --layers must be ≥ 1; got {HiddenSize}, {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "--dropout must be in [0, 1).");
    }
}

/// <summary>
/// A padded batch: word ids [T, B] time-major, lengths [B], and the characters of every position as
/// [W, T·B] time-major (W the longest word; position n = t·B + b) with per-position lengths [T·B] (0 for padding).
/// </summary>
public sealed record TaggerInput(int[] Words, int Steps, int Size, int[] Lengths, int[]? Characters, int WordChars, int[]? CharacterLengths);

/// <summary>Token representation → recurrent stack → per-step linear.</summary>
public sealed class TaggerNetwork : IModule
{
    public TaggerNetwork(TaggerShape shape, Rng rng)
    {
        shape.Validate();
        Shape = shape;
        if (shape.UsesWords) Embedding = new Embedding(shape.VocabularySize, shape.EmbeddingSize, rng);
        if (shape.UsesCharacters)
        {
            CharacterEmbedding = new Embedding(shape.CharacterVocabularySize, shape.CharacterEmbeddingSize, rng);
            CharacterRnn = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.CharacterEmbeddingSize, shape.CharacterHiddenSize, 1, bidirectional: true), rng);
        }
        Rnn = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.InputSize, shape.HiddenSize, shape.Layers, shape.Bidirectional, shape.Dropout), rng);
        Classifier = new Linear(shape.OutputSize, shape.Tags, rng);
    }

    public TaggerShape Shape { get; }
    public Embedding? Embedding { get; }
    public Embedding? CharacterEmbedding { get; }
    public RecurrentLayer? CharacterRnn { get; }
    public RecurrentLayer Rnn { get; }
    public Linear Classifier { get; }

    /// <summary>Logits [T·B, K] (row t·B + b) for a batch; rows past a sequence's length are computed but meaningless.</summary>
    public Variable Forward(Tape tape, TaggerInput input, Rng? rng)
    {
        var parts = new List<Variable>(2);
        if (Embedding is not null) parts.Add(Embedding.Forward(tape, input.Words, input.Steps, input.Size));
        if (CharacterRnn is not null) parts.Add(EncodeCharacters(tape, input));
        Variable x = parts.Count == 1 ? parts[0] : tape.Concat(parts, 2);           // [T, B, E + 2·Hc]
        bool dropout = tape.Training && Shape.Dropout > 0f;
        if (dropout) x = tape.Dropout(x, Shape.Dropout, rng!);
        Variable h = Rnn.Forward(tape, x, lengths: input.Lengths, dropoutRng: rng).Output; // [T, B, D·H]
        if (dropout) h = tape.Dropout(h, Shape.Dropout, rng!);
        Variable logits = Classifier.Forward(tape, h);                                // [T, B, K]
        return tape.View(logits, input.Steps * input.Size, Shape.Tags);
    }

    /// <summary>The two final states of the character encoder for every position: [T, B, 2·Hc] (zeros for padding).</summary>
    private Variable EncodeCharacters(Tape tape, TaggerInput input)
    {
        if (input.Characters is null || input.CharacterLengths is null)
            throw new ArgumentException("TaggerNetwork: this model reads characters, but the batch carries none.", nameof(input));
        int n = input.Steps * input.Size, hc = Shape.CharacterHiddenSize;
        Variable chars = CharacterEmbedding!.Forward(tape, input.Characters, input.WordChars, n);            // [W, N, Ec]
        Variable final = CharacterRnn!.Forward(tape, chars, lengths: input.CharacterLengths).Final.H;        // [2, N, Hc]
        Variable[] directions = tape.Split(final, 0, [1, 1]);
        Variable both = tape.Concat([tape.Reshape(directions[0], n, hc), tape.Reshape(directions[1], n, hc)], 1); // [N, 2·Hc]
        return tape.View(both, input.Steps, input.Size, 2 * hc);
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        Embedding?.CollectParameters(prefix + "embedding.", into);
        CharacterEmbedding?.CollectParameters(prefix + "char_embedding.", into);
        CharacterRnn?.CollectParameters(prefix + "char_rnn.", into);
        Rnn.CollectParameters(prefix + "rnn.", into);
        Classifier.CollectParameters(prefix + "classifier.", into);
    }
}
