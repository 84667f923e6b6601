// The encoder-decoder (Sutskever, Vinyals and Le 2014; Cho et al. 2014) with optional attention (Bahdanau
// et al. 2015; Luong et al. 2015). Legend: S source steps, T target steps, B batch, E embedding, H_e / H_d
// encoder / decoder hidden, D encoder directions, F = D·H_e, L_d decoder layers, V_t target vocabulary.
//   encoder:  memory [S, B, F], final state = RNN_enc(embed(x))          (one fused pass, packed lengths)
//   bridge:   h_0 = tanh(W_h [h_fwd; h_bwd]), c_0 = W_c [c_fwd; c_bwd]      (top encoder layer → every decoder layer)
//   decoder step t, by attention form:
//     none:      h_t = RNN_dec(e_t, h_{t−1});                          o_t = h_t
//     luong:     h_t = RNN_dec([e_t; h̃_{t−1}], h_{t−1}) (input feeding); c_t, α_t = attend(h_t);  o_t = h̃_t = tanh(W_c [c_t; h_t])
//     bahdanau:  c_t, α_t = attend(h_{t−1}); h_t = RNN_dec([e_t; c_t], h_{t−1});                 o_t = h̃_t = tanh(W_c [c_t; h_t])
//   p(y_t | y_<t, x) = softmax(W_out o_t + b_out)
// Parameter names follow this PyTorch module tree (see docs/seq2seq.md for the module code):
//   encoder.embedding, encoder.rnn, bridge.h, bridge.c (LSTM), decoder.embedding, decoder.rnn,
//   decoder.attention.{W,U,v}, decoder.combine (attention only), decoder.out
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>The decoder's recurrent state and what it feeds back into the next step.</summary>
/// <param name="Rnn">H (and C for LSTM) [L_d, B, H_d].</param>
/// <param name="Feed">[B, H_d]: h̃_{t−1} (Luong's input feeding) or the top layer's h_{t−1} (Bahdanau's query); zeros without attention.</param>
public sealed record DecoderState(RecurrentState Rnn, Variable Feed);

/// <summary>What encoding a batch gives the decoder.</summary>
/// <param name="Memory">The prepared attention memory, or null without attention.</param>
/// <param name="Initial">The decoder's initial state from the bridge.</param>
public sealed record EncodedSource(AttentionMemory? Memory, DecoderState Initial);

/// <summary>One decoder step's result.</summary>
/// <param name="Output">[B, H_d] o_t, what the output layer reads.</param>
/// <param name="State">The state after the step.</param>
/// <param name="Weights">[S, B] attention weights, or null without attention.</param>
public readonly record struct DecoderStepOutput(Variable Output, DecoderState State, Variable? Weights);

/// <summary>Encoder, bridge and attentional decoder.</summary>
public sealed class Seq2SeqNetwork : IModule
{
    /// <summary>Creates the network with PyTorch's initialisation drawn from <paramref name="rng"/>.</summary>
    public Seq2SeqNetwork(Seq2SeqShape shape, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        Shape = shape;
        SourceEmbedding = new Embedding(shape.SourceVocabularySize, shape.EmbeddingSize, rng);
        Encoder = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.EmbeddingSize, shape.EncoderHidden, shape.EncoderLayers, shape.Bidirectional, shape.Dropout), rng);
        int bridgeOut = shape.DecoderLayers * shape.DecoderHidden;
        BridgeH = new Linear(shape.MemorySize, bridgeOut, rng);
        if (shape.Cell.HasCellState()) BridgeC = new Linear(shape.MemorySize, bridgeOut, rng);
        TargetEmbedding = new Embedding(shape.TargetVocabularySize, shape.EmbeddingSize, rng);
        Decoder = new RecurrentLayer(new RecurrentOptions(shape.Cell, shape.DecoderInputSize, shape.DecoderHidden, shape.DecoderLayers, false, shape.Dropout), rng);
        Attention = Nn.Attention.Create(shape.Attention, shape.DecoderHidden, shape.MemorySize, shape.AttentionSize, rng);
        if (Attention is not null) Combine = new Linear(shape.MemorySize + shape.DecoderHidden, shape.DecoderHidden, rng, bias: false);
        Out = new Linear(shape.DecoderHidden, shape.TargetVocabularySize, rng);
    }

    public Seq2SeqShape Shape { get; }
    public Embedding SourceEmbedding { get; }
    public RecurrentLayer Encoder { get; }
    public Linear BridgeH { get; }
    public Linear? BridgeC { get; }
    public Embedding TargetEmbedding { get; }
    public RecurrentLayer Decoder { get; }
    public IAttention? Attention { get; }
    public Linear? Combine { get; }
    public Linear Out { get; }

    /// <summary>Runs the encoder and the bridge.</summary>
    /// <param name="tape">The tape (training mode enables dropout).</param>
    /// <param name="tokens">[S, B] time-major source ids, padded.</param>
    /// <param name="steps">S.</param>
    /// <param name="lengths">[B] source lengths, each ≥ 1.</param>
    /// <param name="rng">Dropout masks (training only).</param>
    public EncodedSource Encode(Tape tape, ReadOnlySpan<int> tokens, int steps, int[] lengths, Rng? rng)
    {
        int b = lengths.Length;
        RecurrentResult r = Encoder.Forward(tape, SourceEmbedding.Weight, tokens, steps, b, lengths: lengths, dropoutRng: rng, inputDropout: Shape.Dropout);
        AttentionMemory? memory = Attention?.Prepare(tape, r.Output, lengths);
        Variable h = Spread(tape, tape.Tanh(BridgeH.Forward(tape, TopLayer(tape, r.Final.H, b))), b);
        Variable? c = BridgeC is null ? null : Spread(tape, BridgeC.Forward(tape, TopLayer(tape, r.Final.C!, b)), b);
        Variable feed = Shape.Attention == AttentionKind.Bahdanau
            ? tape.Reshape(tape.Split(h, 0, Enumerable.Repeat(1, Shape.DecoderLayers).ToArray())[^1], b, Shape.DecoderHidden)
            : tape.Result([b, Shape.DecoderHidden], requiresGrad: false);
        return new EncodedSource(memory, new DecoderState(new RecurrentState(h, c), feed));
    }

    /// <summary>One decoder step for a batch of previous tokens [B].</summary>
    public DecoderStepOutput Step(Tape tape, ReadOnlySpan<int> previous, DecoderState state, AttentionMemory? memory, Rng? rng)
    {
        int b = previous.Length;
        Variable e = TargetEmbedding.Forward(tape, previous, b);
        if (DropoutActive(tape)) e = tape.Dropout(e, Shape.Dropout, rng!);
        switch (Shape.Attention)
        {
            case AttentionKind.None:
            {
                RecurrentResult r = Decoder.Step(tape, e, state.Rnn, rng);
                return new DecoderStepOutput(r.Output, new DecoderState(r.Final, state.Feed), null);
            }
            case AttentionKind.Bahdanau:
            {
                AttentionOutput a = Attention!.Attend(tape, state.Feed, memory!);
                RecurrentResult r = Decoder.Step(tape, tape.Concat([e, a.Context], 1), state.Rnn, rng);
                Variable attentional = tape.Tanh(Combine!.Forward(tape, tape.Concat([a.Context, r.Output], 1)));
                return new DecoderStepOutput(attentional, new DecoderState(r.Final, r.Output), a.Weights);
            }
            default:
            {
                RecurrentResult r = Decoder.Step(tape, tape.Concat([e, state.Feed], 1), state.Rnn, rng);
                AttentionOutput a = Attention!.Attend(tape, r.Output, memory!);
                Variable attentional = tape.Tanh(Combine!.Forward(tape, tape.Concat([a.Context, r.Output], 1)));
                return new DecoderStepOutput(attentional, new DecoderState(r.Final, attentional), a.Weights);
            }
        }
    }

    /// <summary>Logits [N, V_t] from step outputs [N, H_d] (dropout first in training mode).</summary>
    public Variable Logits(Tape tape, Variable outputs, Rng? rng)
    {
        if (DropoutActive(tape)) outputs = tape.Dropout(outputs, Shape.Dropout, rng!);
        return Out.Forward(tape, outputs);
    }

    private bool DropoutActive(Tape tape) => tape.Training && Shape.Dropout > 0f;

    /// <summary>The top encoder layer's final state, both directions side by side: [L_e·D, B, H_e] → [B, F].</summary>
    private Variable TopLayer(Tape tape, Variable state, int b)
    {
        int d = Shape.Bidirectional ? 2 : 1;
        Variable[] parts = tape.Split(state, 0, Enumerable.Repeat(1, Shape.EncoderLayers * d).ToArray());
        if (d == 1) return tape.Reshape(parts[^1], b, Shape.EncoderHidden);
        return tape.Concat([tape.Reshape(parts[^2], b, Shape.EncoderHidden), tape.Reshape(parts[^1], b, Shape.EncoderHidden)], 1);
    }

    /// <summary>[B, L_d·H_d] → [L_d, B, H_d]: one block of the bridge output per decoder layer.</summary>
    private Variable Spread(Tape tape, Variable x, int b)
    {
        if (Shape.DecoderLayers == 1) return tape.Reshape(x, 1, b, Shape.DecoderHidden);
        Variable[] layers = tape.Split(x, 1, Enumerable.Repeat(Shape.DecoderHidden, Shape.DecoderLayers).ToArray());
        return tape.Reshape(tape.Concat(layers, 0), Shape.DecoderLayers, b, Shape.DecoderHidden);
    }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        SourceEmbedding.CollectParameters(prefix + "encoder.embedding.", into);
        Encoder.CollectParameters(prefix + "encoder.rnn.", into);
        BridgeH.CollectParameters(prefix + "bridge.h.", into);
        BridgeC?.CollectParameters(prefix + "bridge.c.", into);
        TargetEmbedding.CollectParameters(prefix + "decoder.embedding.", into);
        Decoder.CollectParameters(prefix + "decoder.rnn.", into);
        Attention?.CollectParameters(prefix + "decoder.attention.", into);
        Combine?.CollectParameters(prefix + "decoder.combine.", into);
        Out.CollectParameters(prefix + "decoder.out.", into);
    }
}
