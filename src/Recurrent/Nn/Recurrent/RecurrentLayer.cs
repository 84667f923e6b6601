// A stack of recurrent layers (PyTorch's nn.RNN / nn.LSTM / nn.GRU): parameters with PyTorch's names,
// shapes, gate order and initialisation, and a forward pass that runs every layer and direction as
// fused ops (DirectionPass) and records a single tape node whose backward is hand-written BPTT.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>A multi-layer, optionally bidirectional RNN, LSTM or GRU.</summary>
/// <remarks>
/// Per layer k and direction: <c>weight_ih_l{k}</c> [G·H, I_k], <c>weight_hh_l{k}</c> [G·H, H],
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> [G·H], suffix <c>_reverse</c> for the backward direction;
/// I_0 = input size, I_k = D·H above. Initialisation U(−1/√H, 1/√H) for every tensor, as PyTorch.
/// The layer-normalised LSTM adds <c>ln_weight_ih_l{k}</c> and <c>ln_weight_hh_l{k}</c> [4H] (the gains of the two
/// gate normalisations; their shifts are b_ih and b_hh), <c>ln_weight_c_l{k}</c> and <c>ln_bias_c_l{k}</c> [H] (gain and
/// shift of the cell normalisation), initialised to 1 (gains) and 0 (shift) and exempt from weight decay.
/// </remarks>
public sealed class RecurrentLayer : IModule
{
    private readonly Parameter[] _weightIh, _weightHh, _biasIh, _biasHh; // index: layer·D + direction
    private readonly LayerNormGains[] _norms = [];                      // layer-normalised LSTM only, same index

    /// <summary>Creates the stack with PyTorch's initialisation drawn from <paramref name="rng"/>.</summary>
    public RecurrentLayer(RecurrentOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        int h = options.HiddenSize, g = options.GateCount * h, d = options.Directions, count = options.NumLayers * d;
        (_weightIh, _weightHh, _biasIh, _biasHh) = (new Parameter[count], new Parameter[count], new Parameter[count], new Parameter[count]);
        float bound = 1f / MathF.Sqrt(h);
        bool normalised = options.Cell == CellKind.LayerNormLstm;
        if (normalised) _norms = new LayerNormGains[count];
        for (int layer = 0; layer < options.NumLayers; layer++)
        {
            int inputSize = layer == 0 ? options.InputSize : d * h;
            for (int dir = 0; dir < d; dir++)
            {
                int k = layer * d + dir;
                _weightIh[k] = Uniform(rng, bound, g, inputSize);
                _weightHh[k] = Uniform(rng, bound, g, h);
                _biasIh[k] = Uniform(rng, bound, g);
                _biasHh[k] = Uniform(rng, bound, g);
                if (options.OrthogonalRecurrent)
                    for (int block = 0; block < options.GateCount; block++)
                        Initializers.Orthogonal(_weightHh[k].Value.Span.Slice(block * h * h, h * h), h, rng);
                if (normalised)
                    _norms[k] = new LayerNormGains(Filled(1f, g), Filled(1f, g), Filled(1f, h), Filled(0f, h));
                if (options.ForgetBiasOne && options.HasCellState)
                {
                    _biasIh[k].Value.Span.Slice(h, h).Fill(1f);
                    _biasHh[k].Value.Span.Slice(h, h).Clear();
                }
            }
        }
    }

    /// <summary>The configuration.</summary>
    public RecurrentOptions Options { get; }

    /// <summary><c>weight_ih_l{layer}</c> (direction 1: <c>_reverse</c>), [G·H, I_layer].</summary>
    public Parameter WeightIh(int layer, int direction = 0) => _weightIh[Index(layer, direction)];

    /// <summary><c>weight_hh_l{layer}</c>, [G·H, H].</summary>
    public Parameter WeightHh(int layer, int direction = 0) => _weightHh[Index(layer, direction)];

    /// <summary><c>bias_ih_l{layer}</c>, [G·H].</summary>
    public Parameter BiasIh(int layer, int direction = 0) => _biasIh[Index(layer, direction)];

    /// <summary><c>bias_hh_l{layer}</c>, [G·H].</summary>
    public Parameter BiasHh(int layer, int direction = 0) => _biasHh[Index(layer, direction)];

    /// <summary>Layer-normalised LSTM: the normalisations' gains and the cell normalisation's shift of a layer and direction; null for other cells.</summary>
    internal LayerNormGains? Norms(int layer, int direction = 0) => _norms.Length == 0 ? null : _norms[Index(layer, direction)];

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        for (int layer = 0; layer < Options.NumLayers; layer++)
            for (int dir = 0; dir < Options.Directions; dir++)
            {
                string suffix = $"_l{layer}{(dir == 1 ? "_reverse" : "")}";
                int k = Index(layer, dir);
                into.Add(new(prefix + "weight_ih" + suffix, _weightIh[k]));
                into.Add(new(prefix + "weight_hh" + suffix, _weightHh[k]));
                into.Add(new(prefix + "bias_ih" + suffix, _biasIh[k]));
                into.Add(new(prefix + "bias_hh" + suffix, _biasHh[k]));
                if (_norms.Length == 0) continue;
                into.Add(new(prefix + "ln_weight_ih" + suffix, _norms[k].GainIh));
                into.Add(new(prefix + "ln_weight_hh" + suffix, _norms[k].GainHh));
                into.Add(new(prefix + "ln_weight_c" + suffix, _norms[k].GainC));
                into.Add(new(prefix + "ln_bias_c" + suffix, _norms[k].BiasC));
            }
    }

    /// <summary>
    /// Runs the stack over a sequence.
    /// </summary>
    /// <param name="tape">Records the fused op when anything requires a gradient; <see cref="Tape.Training"/> enables dropout.</param>
    /// <param name="input">[T, B, I] ([B, T, I] when batch-first), or [B, I] for a single step.</param>
    /// <param name="initial">Initial state ([L·D, B, H] each); zeros when null. C is required for LSTM when given.</param>
    /// <param name="lengths">Per-sequence lengths (0…T) for padded batches; null when all are T.</param>
    /// <param name="dropoutRng">Draws the dropout masks between layers; required when dropout is active.</param>
    /// <param name="capture">Opt-in: receives ∂loss/∂h_t for every layer, direction and step after backward.</param>
    /// <exception cref="ArgumentException">A shape or length does not fit.</exception>
    public RecurrentResult Forward(Tape tape, Variable input, RecurrentState? initial = null, int[]? lengths = null,
        Rng? dropoutRng = null, HiddenGradientCapture? capture = null)
    {
        var run = RecurrentRun.Create(this, tape, input, initial, lengths, dropoutRng);
        return run.Execute(capture);
    }

    /// <summary>
    /// Runs the stack on rows of an embedding table: the same function as
    /// <c>Forward(tape, tape.Embedding(embedding, tokens, [steps, batch]), …)</c> (batch-first: [batch, steps]), and the
    /// same gradients for the table and every weight. When the table has at most half as many rows as there are
    /// positions (a character vocabulary), the [T, B, I] lookup is never made: layer 0 projects each table row once,
    /// E·W_ihᵀ + b [V, G], and copies the projected row of each token, and backward sums the gate gradients per
    /// token before the two weight-gradient products, which then run over V rows instead of T·B. Otherwise it is the
    /// lookup followed by <see cref="Forward(Tape, Variable, RecurrentState?, int[], Rng?, HiddenGradientCapture?)"/>,
    /// as it is when <paramref name="inputDropout"/> is on (training mode), since a mask per position and feature
    /// cannot be projected per table row.
    /// </summary>
    /// <param name="tape">As for the other overload.</param>
    /// <param name="embedding">The table [V, I] (e.g. <see cref="Embedding.Weight"/>).</param>
    /// <param name="tokens">Row ids in [0, V): [steps, batch], or [batch, steps] when batch-first.</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="initial">As for the other overload.</param>
    /// <param name="lengths">As for the other overload.</param>
    /// <param name="dropoutRng">As for the other overload.</param>
    /// <param name="capture">As for the other overload.</param>
    /// <param name="inputDropout">Dropout on the looked-up rows in training mode (inverted, drawn from <paramref name="dropoutRng"/> before the layer's own masks); 0: none.</param>
    /// <exception cref="ArgumentException">A shape does not fit, an id is out of range, or dropout is on without a generator.</exception>
    public RecurrentResult Forward(Tape tape, Variable embedding, ReadOnlySpan<int> tokens, int steps, int batch, RecurrentState? initial = null,
        int[]? lengths = null, Rng? dropoutRng = null, HiddenGradientCapture? capture = null, float inputDropout = 0f)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        bool dropInput = tape.Training && inputDropout > 0f;
        if (dropInput || embedding.Value.Rank != 2 || 2L * embedding.Value.Dim(0) > (long)steps * batch)
        {
            Variable x = tape.Embedding(embedding, tokens, Options.BatchFirst ? [batch, steps] : [steps, batch]);
            if (dropInput)
                x = tape.Dropout(x, inputDropout, dropoutRng ?? throw new ArgumentException("Recurrent layer: input dropout is on in training mode, so a dropout Rng must be given.", nameof(dropoutRng)));
            return Forward(tape, x, initial, lengths, dropoutRng, capture);
        }
        var run = RecurrentRun.CreateFromTokens(this, tape, embedding, tokens, steps, batch, initial, lengths, dropoutRng);
        return run.Execute(capture);
    }

    /// <summary>One step for decoding and sampling: x [B, I] with the state carried in and out; output [B, D·H].</summary>
    public RecurrentResult Step(Tape tape, Variable x, RecurrentState? state, Rng? dropoutRng = null)
    {
        if (x.Value.Rank != 2)
            throw new ArgumentException($"RecurrentLayer.Step: x must be [B, {Options.InputSize}]; got {x.Value.ShapeText}.", nameof(x));
        return Forward(tape, x, state, null, dropoutRng);
    }

    private int Index(int layer, int direction)
    {
        if ((uint)layer >= (uint)Options.NumLayers || (uint)direction >= (uint)Options.Directions)
            throw new ArgumentOutOfRangeException(nameof(layer), $"Layer {layer}, direction {direction} does not exist: the stack has {Options.NumLayers} layer(s) and {Options.Directions} direction(s).");
        return layer * Options.Directions + direction;
    }

    private static Parameter Filled(float value, int n)
    {
        var p = new Parameter(Tensor.Zeros(n)) { ExemptFromWeightDecay = true };
        p.Value.Span.Fill(value);
        return p;
    }

    private static Parameter Uniform(Rng rng, float bound, params int[] shape)
    {
        var p = new Parameter(Tensor.Zeros(shape));
        rng.FillUniform(p.Value.Span, -bound, bound);
        return p;
    }
}

/// <summary>The layer-normalised LSTM's per-layer normalisation parameters: gains [4H], [4H], [H] and the cell's shift [H].</summary>
internal sealed record LayerNormGains(Parameter GainIh, Parameter GainHh, Parameter GainC, Parameter BiasC);
