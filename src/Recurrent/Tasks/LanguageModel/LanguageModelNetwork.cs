// The language model network (many-to-many, aligned): token → embedding → dropout → recurrent stack →
// dropout → linear decoder → logits over the vocabulary. Parameter names match this PyTorch module, so
// weights move both ways:
//   class LanguageModel(nn.Module):
//       embedding = nn.Embedding(V, E); rnn = nn.LSTM(E, H, L, dropout=p); decoder = nn.Linear(H, V)
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>Hyperparameters of the network.</summary>
/// <param name="VocabularySize">V: tokens in the vocabulary.</param>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="EmbeddingSize">E: embedding width.</param>
/// <param name="HiddenSize">H: hidden size of every layer.</param>
/// <param name="Layers">L: recurrent layers.</param>
/// <param name="Dropout">Dropout between layers and before the decoder, and on the embeddings unless <paramref name="EmbeddingDropout"/> is given (training only).</param>
/// <param name="WeightDrop">DropConnect probability on the recurrent weights W_hh in training (0 = off).</param>
/// <param name="EmbeddingDropout">Dropout on the embeddings; null: <paramref name="Dropout"/>. At 0 a character model trains through
/// the folded input projection of <see cref="RecurrentLayer"/> (no [T, B, E] lookup).</param>
public sealed record LanguageModelShape(int VocabularySize, CellKind Cell, int EmbeddingSize, int HiddenSize, int Layers, float Dropout, float WeightDrop = 0f,
    float? EmbeddingDropout = null)
{
    /// <summary>The dropout applied to the embeddings in training.</summary>
    public float InputDropout => EmbeddingDropout ?? Dropout;

    /// <summary>Throws when a size is out of range.</summary>
    public void Validate()
    {
        if (VocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize, "A language model needs at least 2 tokens in its vocabulary.");
        if (EmbeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "The embedding size must be ≥ 1.");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "The hidden size must be ≥ 1.");
        if (Layers < 1) throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "The number of layers must be ≥ 1.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout must be in [0, 1).");
        if (!(WeightDrop >= 0f && WeightDrop < 1f)) throw new ArgumentOutOfRangeException(nameof(WeightDrop), WeightDrop, "Weight drop must be in [0, 1).");
        if (EmbeddingDropout is { } e && !(e >= 0f && e < 1f)) throw new ArgumentOutOfRangeException(nameof(EmbeddingDropout), e, "Embedding dropout must be in [0, 1).");
    }
}

/// <summary>Embedding → RNN/LSTM/GRU stack → linear decoder.</summary>
public sealed class LanguageModelNetwork : IModule
{
    /// <summary>Creates the network with PyTorch's default initialisation drawn from <paramref name="rng"/>.</summary>
    public LanguageModelNetwork(LanguageModelShape shape, Rng rng)
    {
        shape.Validate();
        Shape = shape;
        Embedding = new Embedding(shape.VocabularySize, shape.EmbeddingSize, rng);
        Rnn = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.EmbeddingSize, shape.HiddenSize, shape.Layers, dropout: shape.Dropout) { WeightDrop = shape.WeightDrop }, rng);
        Decoder = new Linear(shape.HiddenSize, shape.VocabularySize, rng);
    }

    /// <summary>
    /// Starts training from what the text already says: the decoder's bias becomes the log of each token's
    /// frequency in <paramref name="trainIds"/> (add-one smoothed), so the first prediction is the unigram
    /// distribution instead of a uniform one, and an LSTM's forget gates start open (bias 1, Jozefowicz et al.
    /// 2015), so the cell state is carried rather than halved at every step until the network learns to keep it.
    /// Weights are not touched.
    /// </summary>
    public void InitializeForText(ReadOnlySpan<int> trainIds)
    {
        int v = Shape.VocabularySize;
        var counts = new double[v];
        foreach (int id in trainIds)
            if ((uint)id < (uint)v) counts[id]++;
        double total = 0;
        for (int i = 0; i < v; i++) total += counts[i] + 1;
        Span<float> bias = Decoder.Bias!.Value.Span;
        for (int i = 0; i < v; i++) bias[i] = (float)Math.Log((counts[i] + 1) / total);
        if (!Shape.Cell.HasCellState()) return;
        int h = Shape.HiddenSize;
        for (int layer = 0; layer < Shape.Layers; layer++)
        {
            Rnn.BiasIh(layer).Value.Span.Slice(h, h).Fill(1f);   // gate order i, f, g, o: rows h..2h are f
            Rnn.BiasHh(layer).Value.Span.Slice(h, h).Clear();
        }
    }

    public LanguageModelShape Shape { get; }
    public Embedding Embedding { get; }
    public RecurrentLayer Rnn { get; }
    public Linear Decoder { get; }

    /// <summary>
    /// Logits [T·B, V] for time-major token ids [T, B], from <paramref name="state"/> (zeros when null); the
    /// final state can be carried into the next chunk. Dropout (training mode) is drawn from <paramref name="rng"/>.
    /// </summary>
    public (Variable Logits, RecurrentState Final) Forward(Tape tape, ReadOnlySpan<int> tokens, int steps, int batch, RecurrentState? state, Rng? rng)
    {
        RecurrentResult r = Rnn.Forward(tape, Embedding.Weight, tokens, steps, batch, state, dropoutRng: tape.Training ? rng : null, inputDropout: Shape.InputDropout);
        Variable h = r.Output;
        if (tape.Training && Shape.Dropout > 0f) h = tape.Dropout(h, Shape.Dropout, rng!);
        Variable logits = Decoder.Forward(tape, tape.View(h, steps * batch, Shape.HiddenSize));
        return (logits, r.Final);
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        Embedding.CollectParameters(prefix + "embedding.", into);
        Rnn.CollectParameters(prefix + "rnn.", into);
        Decoder.CollectParameters(prefix + "decoder.", into);
    }
}
