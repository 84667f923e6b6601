// The text classifier (many-to-one): token → embedding → dropout → recurrent stack (optionally
// bidirectional) → pooling over time (last state, mean, max, or additive attention) → dropout → linear →
// logits over the classes. Parameter names match this PyTorch module tree:
//   embedding = nn.Embedding(V, E); rnn = nn.LSTM(E, H, L, bidirectional=…, dropout=p)
//   attention.proj = nn.Linear(D·H, D·H); attention.score = nn.Linear(D·H, 1, bias=False)   (attention pooling only)
//   classifier = nn.Linear(D·H, C)
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Classification;

/// <summary>How the per-step outputs become one vector per text.</summary>
public enum Pooling
{
    /// <summary>The final state of the last layer (both directions concatenated).</summary>
    Last,
    /// <summary>The mean of the outputs over the text's steps.</summary>
    Mean,
    /// <summary>The elementwise maximum of the outputs over the text's steps.</summary>
    Max,
    /// <summary>Additive attention: α = softmax_t(vᵀ tanh(W h_t + b)), pooled = Σ α_t h_t.</summary>
    Attention,
}

/// <summary>Hyperparameters of the classifier network.</summary>
public sealed record ClassifierShape(int VocabularySize, int Classes, CellKind Cell, int EmbeddingSize, int HiddenSize, int Layers,
    bool Bidirectional, float Dropout, Pooling Pooling)
{
    public void Validate()
    {
        if (VocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize, "The vocabulary needs at least 2 tokens.");
        if (Classes < 2) throw new ArgumentOutOfRangeException(nameof(Classes), Classes, "A classifier needs at least 2 classes.");
        if (EmbeddingSize < 1 || HiddenSize < 1 || Layers < 1)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"--embed, --hidden and --layers must be ≥ 1; got {EmbeddingSize}, {HiddenSize}, {Layers}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "--dropout must be in [0, 1).");
    }

    /// <summary>D·H: the width of the pooled vector.</summary>
    public int PooledSize => (Bidirectional ? 2 : 1) * HiddenSize;
}

/// <summary>Embedding → recurrent stack → pooling → linear.</summary>
public sealed class ClassifierNetwork : IModule
{
    public ClassifierNetwork(ClassifierShape shape, Rng rng)
    {
        shape.Validate();
        Shape = shape;
        Embedding = new Embedding(shape.VocabularySize, shape.EmbeddingSize, rng);
        Rnn = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.EmbeddingSize, shape.HiddenSize, shape.Layers, shape.Bidirectional, shape.Dropout), rng);
        if (shape.Pooling == Pooling.Attention)
        {
            AttentionProjection = new Linear(shape.PooledSize, shape.PooledSize, rng);
            AttentionScore = new Linear(shape.PooledSize, 1, rng, bias: false);
        }
        Classifier = new Linear(shape.PooledSize, shape.Classes, rng);
    }

    public ClassifierShape Shape { get; }
    public Embedding Embedding { get; }
    public RecurrentLayer Rnn { get; }
    public Linear? AttentionProjection { get; }
    public Linear? AttentionScore { get; }
    public Linear Classifier { get; }

    /// <summary>Logits [B, C] for time-major token ids [T, B] with per-text lengths (each ≥ 1).</summary>
    public Variable Forward(Tape tape, ReadOnlySpan<int> tokens, int steps, int batch, int[] lengths, Rng? rng)
    {
        bool dropout = tape.Training && Shape.Dropout > 0f;
        RecurrentResult r = Rnn.Forward(tape, Embedding.Weight, tokens, steps, batch, lengths: lengths, dropoutRng: rng, inputDropout: Shape.Dropout);
        Variable pooled = Shape.Pooling switch
        {
            Pooling.Last => LastState(tape, r.Final.H, batch),
            Pooling.Mean => tape.MeanOverTime(r.Output, lengths),
            Pooling.Max => tape.MaxOverTime(r.Output, lengths),
            _ => Attend(tape, r.Output, lengths, steps, batch),
        };
        if (dropout) pooled = tape.Dropout(pooled, Shape.Dropout, rng!);
        return Classifier.Forward(tape, pooled);
    }

    /// <summary>The last layer's final state, both directions side by side: [B, D·H].</summary>
    private Variable LastState(Tape tape, Variable h, int batch)
    {
        int d = Shape.Bidirectional ? 2 : 1, layers = Shape.Layers * d;
        Variable[] parts = tape.Split(h, 0, Enumerable.Repeat(1, layers).ToArray());
        if (d == 1) return tape.Reshape(parts[^1], batch, Shape.HiddenSize);
        return tape.Concat([tape.Reshape(parts[^2], batch, Shape.HiddenSize), tape.Reshape(parts[^1], batch, Shape.HiddenSize)], 1);
    }

    private Variable Attend(Tape tape, Variable outputs, int[] lengths, int steps, int batch)
    {
        Variable energy = tape.Tanh(AttentionProjection!.Forward(tape, outputs));      // [T, B, D·H]
        Variable scores = tape.Reshape(AttentionScore!.Forward(tape, energy), steps, batch); // [T, B]
        Variable weights = tape.SoftmaxOverTime(scores, lengths);
        return tape.WeightedSumOverTime(weights, outputs);
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        Embedding.CollectParameters(prefix + "embedding.", into);
        Rnn.CollectParameters(prefix + "rnn.", into);
        AttentionProjection?.CollectParameters(prefix + "attention.proj.", into);
        AttentionScore?.CollectParameters(prefix + "attention.score.", into);
        Classifier.CollectParameters(prefix + "classifier.", into);
    }
}
