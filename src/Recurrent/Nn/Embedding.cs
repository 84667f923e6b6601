// nn.Embedding: a lookup table [V, E]; PyTorch's default init N(0, 1). The gradient touches only the rows used.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>A learned lookup table of token vectors, as PyTorch's <c>nn.Embedding</c>.</summary>
public sealed class Embedding : IModule
{
    /// <summary>Creates the table with N(0, 1) entries drawn from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is less than 1.</exception>
    public Embedding(int vocabularySize, int embeddingSize, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingSize, 1);
        Weight = new Parameter(Tensor.Zeros(vocabularySize, embeddingSize));
        rng.FillNormal(Weight.Value.Span, 0f, 1f);
    }

    /// <summary>[V, E].</summary>
    public Parameter Weight { get; }

    public int VocabularySize => Weight.Value.Dim(0);
    public int EmbeddingSize => Weight.Value.Dim(1);

    /// <summary>Looks up <paramref name="indices"/> (each in [0, V)); the result is [..shape, E].</summary>
    public Variable Forward(Tape tape, ReadOnlySpan<int> indices, params int[] shape) => tape.Embedding(Weight, indices, shape);

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into) => into.Add(new(prefix + "weight", Weight));
}

/// <summary>Dropout as a module (no parameters): active only when the tape is in training mode.</summary>
public sealed class Dropout : IModule
{
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="probability"/> is not in [0, 1).</exception>
    public Dropout(float probability)
    {
        if (!(probability >= 0f && probability < 1f))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Dropout probability must be in [0, 1).");
        Probability = probability;
    }

    public float Probability { get; }

    /// <summary>Inverted dropout of <paramref name="x"/> with a mask drawn from <paramref name="rng"/>.</summary>
    public Variable Forward(Tape tape, Variable x, Rng rng) => tape.Dropout(x, Probability, rng);

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into) { }
}
