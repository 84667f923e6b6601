// The captioner (one-to-many; Show and Tell, Vinyals et al. 2015, with optional soft attention from Show,
// Attend and Tell, Xu et al. 2015). The image's features set the decoder's initial state:
//   h_0 = tanh(init_h(f)),  c_0 = init_c(f)   (LSTM),  f = the flattened features [S·F] without attention,
//   or their mean over the S cells [F] with attention (the paper's choice; the cells are then attended to).
// Each step reads the previous word's vector (and, with attention, the context c_t = Σ_s α_s a_s scored
// against the previous output) and predicts the next word:  p(w_t | …) = softmax(classifier(h_t)).
// Parameter names match this PyTorch module tree:
//   init_h = nn.Linear(F', L·H); init_c = nn.Linear(F', L·H); embedding = nn.Embedding(V, E)
//   attention = BahdanauAttention/LuongAttention(H, F, A); rnn = nn.LSTM(E (+F), H, L, dropout=p); classifier = nn.Linear(H, V)
// Legend: B batch, T caption steps, S feature cells, F features per cell, E embedding, H hidden, L layers, V vocabulary.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Captioning;

/// <summary>Hyperparameters of the captioner.</summary>
public sealed record CaptionShape(int VocabularySize, int FeatureCells, int FeatureSize, CellKind Cell, int EmbeddingSize, int HiddenSize, int Layers,
    AttentionKind Attention, int AttentionSize, float Dropout)
{
    /// <summary>Width of what sets the initial state: S·F, or F with attention.</summary>
    public int InitSize => Attention == AttentionKind.None ? FeatureCells * FeatureSize : FeatureSize;

    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public void Validate()
    {
        if (VocabularySize < 5) throw new ArgumentOutOfRangeException(nameof(VocabularySize), VocabularySize, "The caption vocabulary needs at least one word besides the 4 reserved tokens.");
        if (FeatureCells < 1 || FeatureSize < 1) throw new ArgumentOutOfRangeException(nameof(FeatureSize), $"Image features must be ≥ [1, 1]; got [{FeatureCells}, {FeatureSize}].");
        if (EmbeddingSize < 1 || HiddenSize < 1 || Layers < 1 || AttentionSize < 1)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"--embed, --hidden, --layers and --attention-size must be ≥ 1; got {EmbeddingSize}, {HiddenSize}, {Layers}, {AttentionSize}.");
        if (!(Dropout >= 0f && Dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "--dropout must be in [0, 1).");
    }
}

/// <summary>The decoder's state between steps: recurrent state, the last output (the next attention query) and the image memory.</summary>
/// <param name="Recurrent">H (and C) [L, B, H].</param>
/// <param name="Output">[B, H] the top layer's last output.</param>
/// <param name="Memory">The prepared feature cells [S, B, F], or null without attention.</param>
public sealed record CaptionState(RecurrentState Recurrent, Variable Output, AttentionMemory? Memory);

/// <summary>Image features → initial state → recurrent decoder → vocabulary.</summary>
public sealed class CaptionNetwork : IModule
{
    public CaptionNetwork(CaptionShape shape, Rng rng)
    {
        shape.Validate();
        Shape = shape;
        InitH = new Linear(shape.InitSize, shape.Layers * shape.HiddenSize, rng);
        if (shape.Cell.HasCellState()) InitC = new Linear(shape.InitSize, shape.Layers * shape.HiddenSize, rng);
        Embedding = new Embedding(shape.VocabularySize, shape.EmbeddingSize, rng);
        Attention = Nn.Attention.Create(shape.Attention, shape.HiddenSize, shape.FeatureSize, shape.AttentionSize, rng);
        int input = shape.EmbeddingSize + (Attention is null ? 0 : shape.FeatureSize);
        Rnn = new RecurrentLayer(new RecurrentOptions(shape.Cell, input, shape.HiddenSize, shape.Layers, false, shape.Dropout), rng);
        Classifier = new Linear(shape.HiddenSize, shape.VocabularySize, rng);
    }

    public CaptionShape Shape { get; }
    public Linear InitH { get; }
    public Linear? InitC { get; }
    public Embedding Embedding { get; }
    public IAttention? Attention { get; }
    public RecurrentLayer Rnn { get; }
    public Linear Classifier { get; }

    /// <summary>The state before the first word, from features [B, S·F] (row-major cells).</summary>
    public CaptionState Start(Tape tape, float[] features, int batch)
    {
        int s = Shape.FeatureCells, f = Shape.FeatureSize, h = Shape.HiddenSize, l = Shape.Layers;
        var init = Tensor.Zeros(batch, Shape.InitSize);
        if (Attention is null) features.AsSpan(0, batch * s * f).CopyTo(init.Span);
        else
            for (int b = 0; b < batch; b++)
                for (int c = 0; c < s; c++)
                    for (int k = 0; k < f; k++) init.Span[b * f + k] += features[(b * s + c) * f + k] / s;
        var x = new Variable(init, requiresGrad: false);
        Variable h0 = Layers(tape, tape.Tanh(InitH.Forward(tape, x)), batch);
        Variable? c0 = InitC is null ? null : Layers(tape, InitC.Forward(tape, x), batch);
        Variable top = tape.Reshape(tape.Split(h0, 0, Enumerable.Repeat(1, l).ToArray())[^1], batch, h);
        AttentionMemory? memory = null;
        if (Attention is not null)
        {
            var cells = Tensor.Zeros(s, batch, f);                          // [S, B, F] time-major
            for (int b = 0; b < batch; b++)
                for (int c = 0; c < s; c++) features.AsSpan((b * s + c) * f, f).CopyTo(cells.Span.Slice((c * batch + b) * f, f));
            memory = Attention.Prepare(tape, new Variable(cells, requiresGrad: false), Enumerable.Repeat(s, batch).ToArray());
        }
        return new CaptionState(new RecurrentState(h0, c0), top, memory);
    }

    /// <summary>[B, L·H] → [L, B, H].</summary>
    private Variable Layers(Tape tape, Variable v, int batch)
    {
        int h = Shape.HiddenSize, l = Shape.Layers;
        if (l == 1) return tape.Reshape(v, 1, batch, h);
        Variable[] parts = tape.Split(v, 1, Enumerable.Repeat(h, l).ToArray());
        return tape.Concat(parts.Select(p => tape.Reshape(p, 1, batch, h)).ToArray(), 0);
    }

    /// <summary>One step: word vectors [B, E] → logits [B, V], the new state, and attention weights [S, B] (or null).</summary>
    public (Variable Logits, CaptionState State, Variable? Weights) Step(Tape tape, Variable words, CaptionState state, Rng? rng)
    {
        Variable x = words;
        Variable? weights = null;
        if (Attention is not null)
        {
            AttentionOutput a = Attention.Attend(tape, state.Output, state.Memory!);
            x = tape.Concat([words, a.Context], 1);
            weights = a.Weights;
        }
        RecurrentResult r = Rnn.Step(tape, x, state.Recurrent, rng);
        Variable output = r.Output;                                                 // [B, H]
        Variable h = tape.Training && Shape.Dropout > 0f ? tape.Dropout(output, Shape.Dropout, rng!) : output;
        return (Classifier.Forward(tape, h), new CaptionState(r.Final, output, state.Memory), weights);
    }

    /// <summary>Teacher-forced logits [T·B, V] (row t·B + b) for input words [T, B] (begin token first) with caption lengths.</summary>
    public Variable Forward(Tape tape, float[] features, int[] inputs, int steps, int batch, int[] lengths, Rng? rng)
    {
        CaptionState state = Start(tape, features, batch);
        bool dropout = tape.Training && Shape.Dropout > 0f;
        if (Attention is null)
        {
            Variable output = Rnn.Forward(tape, Embedding.Weight, inputs, steps, batch, state.Recurrent, lengths, rng, inputDropout: Shape.Dropout).Output; // [T, B, H]
            if (dropout) output = tape.Dropout(output, Shape.Dropout, rng!);
            return tape.View(Classifier.Forward(tape, output), steps * batch, Shape.VocabularySize);
        }
        Variable words = Embedding.Forward(tape, inputs, steps, batch);                   // [T, B, E]
        if (dropout) words = tape.Dropout(words, Shape.Dropout, rng!);
        Variable[] perStep = tape.Split(words, 0, Enumerable.Repeat(1, steps).ToArray());
        var logits = new Variable[steps];
        for (int t = 0; t < steps; t++)
        {
            (Variable stepLogits, state, _) = Step(tape, tape.Reshape(perStep[t], batch, Shape.EmbeddingSize), state, rng);
            logits[t] = stepLogits;
        }
        return tape.Concat(logits, 0);                                                     // [T·B, V]
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        InitH.CollectParameters(prefix + "init_h.", into);
        InitC?.CollectParameters(prefix + "init_c.", into);
        Embedding.CollectParameters(prefix + "embedding.", into);
        Attention?.CollectParameters(prefix + "attention.", into);
        Rnn.CollectParameters(prefix + "rnn.", into);
        Classifier.CollectParameters(prefix + "classifier.", into);
    }
}
