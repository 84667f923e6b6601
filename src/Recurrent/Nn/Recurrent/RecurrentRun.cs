// One call of RecurrentLayer.Forward: validates shapes, runs each layer and direction (DirectionPass),
// applies dropout between layers, and — when a gradient is needed — stays on the tape as the node whose
// Backward runs BPTT from the top layer down. Internal layout is time-major [T, B, ·]; batch-first input
// and output are transposed at the edges.
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

internal sealed class RecurrentRun : TapeNode, IDisposable
{
    private readonly RecurrentLayer _layer;
    private readonly RecurrentOptions _o;
    private readonly Tape _tape;
    private readonly Variable? _input;               // null when the input is token ids looked up in _embedding
    private readonly Variable? _embedding;           // [V, I]: layer 0 reads rows of it (DirectionPass.ProjectTokens)
    private readonly int[]? _tokens;                 // [T·B] time-major ids into _embedding
    private readonly RecurrentState? _initial;
    private readonly int _t, _b, _h, _d, _l;
    private readonly bool _singleStep;
    private readonly bool[] _active;                 // [T·B]
    private readonly float _dropout;
    private readonly Rng? _rng;
    private readonly List<DirectionPass> _passes = new();
    private readonly List<Tensor> _layerInputs = new(); // input of layer k ≥ 1 (after dropout), time-major
    private readonly List<Tensor> _masks = new();       // dropout mask (already scaled) for layer k ≥ 1's input
    private bool _lowerOutputsHoldStates;               // the outputs of layers below the top hold their passes' hidden states
    private readonly float _weightDrop;
    private readonly List<DroppedWeight?> _dropped = new(); // per pass k: the weight-dropped W_hh, or null
    private Tensor? _timeMajorInput;
    private Tensor? _topTimeMajor;                      // batch-first sequences: the top layer's time-major output (and hidden states)
    private Variable? _output, _hN, _cN;
    private HiddenGradientCapture? _capture;
    private bool _backwardDone;

    private RecurrentRun(RecurrentLayer layer, Tape tape, Variable? input, Variable? embedding, int[]? tokens, RecurrentState? initial,
        int t, int b, bool singleStep, bool[] active, Rng? rng)
    {
        (_layer, _o, _tape, _input, _embedding, _tokens, _initial, _t, _b, _singleStep, _active, _rng) =
            (layer, layer.Options, tape, input, embedding, tokens, initial, t, b, singleStep, active, rng);
        (_h, _d, _l) = (_o.HiddenSize, _o.Directions, _o.NumLayers);
        _dropout = tape.Training ? _o.Dropout : 0f;
        _weightDrop = tape.Training ? _o.WeightDrop : 0f;
    }

    public static RecurrentRun Create(RecurrentLayer layer, Tape tape, Variable input, RecurrentState? initial, int[]? lengths, Rng? rng)
    {
        RecurrentOptions o = layer.Options;
        Tensor x = input.Value;
        bool single = x.Rank == 2;
        if (!(x.Rank == 3 || single) || x.Dim(-1) != o.InputSize)
            throw new ArgumentException($"Recurrent layer: input must be {(o.BatchFirst ? "[B, T" : "[T, B")}, {o.InputSize}] (or [B, {o.InputSize}] for one step); got {x.ShapeText}.", nameof(input));
        int t = single ? 1 : o.BatchFirst ? x.Dim(1) : x.Dim(0);
        int b = single ? x.Dim(0) : o.BatchFirst ? x.Dim(0) : x.Dim(1);
        bool[] active = CheckRun(layer, tape, initial, lengths, rng, t, b);
        return new RecurrentRun(layer, tape, input, null, null, initial, t, b, single, active, rng);
    }

    /// <summary>
    /// A run whose input is <paramref name="embedding"/>'s rows for <paramref name="tokens"/> ([T, B], or [B, T] when
    /// batch-first), read by layer 0 without the [T, B, I] lookup (DirectionPass.ProjectTokens).
    /// </summary>
    public static RecurrentRun CreateFromTokens(RecurrentLayer layer, Tape tape, Variable embedding, ReadOnlySpan<int> tokens, int steps, int batch,
        RecurrentState? initial, int[]? lengths, Rng? rng)
    {
        RecurrentOptions o = layer.Options;
        Tensor e = embedding.Value;
        if (e.Rank != 2 || e.Dim(1) != o.InputSize)
            throw new ArgumentException($"Recurrent layer: the embedding table must be [V, {o.InputSize}]; got {e.ShapeText}.", nameof(embedding));
        if (steps < 1 || batch < 1 || tokens.Length != (long)steps * batch)
            throw new ArgumentException($"Recurrent layer: {tokens.Length} token ids given for {steps} steps of {batch} sequences; give steps × batch ids.", nameof(tokens));
        int vocabulary = e.Dim(0);
        var timeMajor = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
                throw new ArgumentException($"Recurrent layer: token id {tokens[i]} at position {i} is out of range for an embedding table of V = {vocabulary} rows; ids must be in [0, {vocabulary - 1}].", nameof(tokens));
            // Batch-first ids [B, T] go to time-major order [T, B].
            int to = o.BatchFirst ? i % steps * batch + i / steps : i;
            timeMajor[to] = tokens[i];
        }
        bool[] active = CheckRun(layer, tape, initial, lengths, rng, steps, batch);
        return new RecurrentRun(layer, tape, null, embedding, timeMajor, initial, steps, batch, false, active, rng);
    }

    /// <summary>Checks the state, lengths and dropout generator of a run of T steps of B rows; returns which positions are active.</summary>
    private static bool[] CheckRun(RecurrentLayer layer, Tape tape, RecurrentState? initial, int[]? lengths, Rng? rng, int t, int b)
    {
        RecurrentOptions o = layer.Options;
        CheckState(o, initial, b);
        var active = new bool[t * b];
        if (lengths is not null && lengths.Length != b)
            throw new ArgumentException($"Recurrent layer: {lengths.Length} lengths given for a batch of {b}; give one length per sequence.", nameof(lengths));
        for (int j = 0; j < b; j++)
        {
            int len = lengths?[j] ?? t;
            if (len < 0 || len > t)
                throw new ArgumentException($"Recurrent layer: length {len} of sequence {j} is outside 0…{t} (the padded length).", nameof(lengths));
            for (int s = 0; s < len; s++) active[s * b + j] = true;
        }
        if (tape.Training && o.Dropout > 0f && o.NumLayers > 1 && rng is null)
            throw new ArgumentException("Recurrent layer: dropout between layers is on in training mode, so a dropout Rng must be given.", nameof(rng));
        if (tape.Training && o.WeightDrop > 0f && rng is null)
            throw new ArgumentException("Recurrent layer: weight drop is on in training mode, so a dropout Rng must be given.", nameof(rng));
        return active;
    }

    private static void CheckState(RecurrentOptions o, RecurrentState? state, int b)
    {
        if (state is null) return;
        int ld = o.NumLayers * o.Directions;
        string expected = $"[{ld}, {b}, {o.HiddenSize}]";
        if (state.H.Value.Rank != 3 || state.H.Value.Dim(0) != ld || state.H.Value.Dim(1) != b || state.H.Value.Dim(2) != o.HiddenSize)
            throw new ArgumentException($"Recurrent layer: initial H must be {expected}; got {state.H.Value.ShapeText}.", nameof(state));
        if (o.HasCellState)
        {
            if (state.C is null) throw new ArgumentException("Recurrent layer: an LSTM's initial state needs C as well as H.", nameof(state));
            if (!state.C.Value.SameShape(state.H.Value))
                throw new ArgumentException($"Recurrent layer: initial C must be {expected}; got {state.C.Value.ShapeText}.", nameof(state));
        }
    }

    public RecurrentResult Execute(HiddenGradientCapture? capture)
    {
        _capture = capture;
        var inputs = new List<Variable?> { _input ?? _embedding, _initial?.H, _initial?.C };
        foreach (var p in _layer.NamedParameters()) inputs.Add(p.Parameter);
        bool needsGrad = _tape.NeedsGrad(inputs.ToArray());
        int ld = _l * _d, dh = _d * _h;
        int[] outShape = _singleStep ? [_b, dh] : _o.BatchFirst ? [_b, _t, dh] : [_t, _b, dh];
        // A one-direction stack with nothing masked keeps each layer's hidden states in that layer's output
        // (DirectionPass), so the output storage gets room for the initial state too.
        bool statesInOutput = _d == 1 && Array.TrueForAll(_active, a => a);
        int stateCapacity = statesInOutput ? (_t + 1) * _b * _h : 0;
        // Below the top, dropout rewrites a layer's output in place, so it can hold the states only without dropout.
        _lowerOutputsHoldStates = statesInOutput && _dropout == 0f;
        bool batchFirstSequence = _o.BatchFirst && !_singleStep; // the top layer then writes a time-major copy first
        _output = _tape.Result(outShape, needsGrad, clear: false, batchFirstSequence ? 0 : stateCapacity);
        _hN = _tape.Result([ld, _b, _h], needsGrad, clear: false);
        if (_o.HasCellState) _cN = _tape.Result([ld, _b, _h], needsGrad, clear: false);

        if (_input is not null && _o.BatchFirst && !_singleStep)
        {
            _timeMajorInput = Tensor.Rent([_t, _b, _o.InputSize], clear: false);
            SwapBatchTime(_input.Value.Span, _timeMajorInput.Span, _b, _t, _o.InputSize);
        }
        // When the top layer keeps its hidden states in this copy, backward reads them: it lives as long as the run.
        _topTimeMajor = batchFirstSequence ? Tensor.Rent([_t, _b, dh], clear: false, stateCapacity) : null;
        Tensor? topOut = _topTimeMajor;
        using var zeros = _initial is null ? Tensor.Rent([_b * _h]) : null;
        for (int layer = 0; layer < _l; layer++)
        {
            bool top = layer == _l - 1;
            bool sharesStates = top ? statesInOutput : _lowerOutputsHoldStates;
            Tensor layerOut = top ? topOut ?? _output.Value : Tensor.Rent([_t, _b, dh], clear: false, sharesStates ? stateCapacity : 0);
            int inSize = layer == 0 ? _o.InputSize : dh;
            for (int dir = 0; dir < _d; dir++)
            {
                DroppedWeight? dropped = _weightDrop > 0f ? DroppedWeight.Draw(_layer.WeightHh(layer, dir), _weightDrop, _rng!) : null;
                _dropped.Add(dropped);
                var pass = new DirectionPass(_o.Cell, _t, _b, inSize, _h, dir == 1, _active,
                    _layer.WeightIh(layer, dir), dropped?.Weight ?? _layer.WeightHh(layer, dir), _layer.BiasIh(layer, dir), _layer.BiasHh(layer, dir),
                    sharesStates ? layerOut.Storage : null, _layer.Norms(layer, dir), savesForBackward: needsGrad);
                _passes.Add(pass);
                if (layer == 0 && _tokens is not null) pass.ProjectTokens(_embedding!.Value.Span, _embedding.Value.Dim(0), _tokens);
                else if (ProjectionsInLoop && pass.ProjectsInLoop(needsGrad)) pass.ProjectInLoop(LayerInput(layer)!);
                else pass.Project(LayerInput(layer)!.Span);
            }
            // The time loops: side by side when the directions get a core each, else one after the other.
            int layerIndex = layer;
            void Loop(int dir)
            {
                int k = layerIndex * _d + dir, bh = _b * _h;
                ReadOnlySpan<float> h0 = _initial is null ? zeros!.Span : _initial.H.Value.Span.Slice(k * bh, bh);
                ReadOnlySpan<float> c0 = !_o.HasCellState ? default : _initial is null ? zeros!.Span : _initial.C!.Value.Span.Slice(k * bh, bh);
                Span<float> cN = _cN is null ? default : _cN.Value.Span.Slice(k * bh, bh);
                _passes[k].ForwardLoop(h0, c0, layerOut, dir * _h, dh, _hN.Value.Span.Slice(k * bh, bh), cN);
            }
            if (DirectionsSideBySide) Parallelism.For(new DirectionJob(Loop), _d);
            else for (int dir = 0; dir < _d; dir++) Loop(dir);
            if (!top)
            {
                // Dropout between layers (inverted: kept units scaled by 1/(1−p)); the mask is kept for backward.
                if (_dropout > 0f)
                {
                    var mask = Tensor.Rent([_t, _b, dh], clear: false);
                    Span<float> m = mask.Span;
                    float scale = 1f / (1f - _dropout);
                    _rng!.FillDropoutMask(m, _dropout, scale);
                    TensorPrimitives.Multiply(layerOut.Span, m, layerOut.Span);
                    _masks.Add(mask);
                }
                _layerInputs.Add(layerOut);
            }
        }
        if (topOut is not null) SwapBatchTime(topOut.Span, _output.Value.Span, _t, _b, dh);

        if (needsGrad) _tape.Record(this);
        else Dispose();
        return new RecurrentResult(_output, new RecurrentState(_hN, _cN));
    }

    /// <summary>The input of layer <paramref name="layer"/> [T, B, I]: the output below it, or for layer 0 the time-major input (null when it reads token ids).</summary>
    private Tensor? LayerInput(int layer) => layer > 0 ? _layerInputs[layer - 1] : _timeMajorInput ?? _input?.Value;

    /// <summary>
    /// On two cores the two directions of a bidirectional layer run their time loops side by side, one per core,
    /// with no dispatch per step. Each loop gives the same bits on any thread, so results do not change.
    /// </summary>
    private bool DirectionsSideBySide => _d == 2 && Parallelism.ThreadCount == 2;

    /// <summary>Whether passes that can project step by step do (DirectionPass.ProjectInLoop); settable for tests, which compare the two ways.</summary>
    internal static bool ProjectionsInLoop = true;

    private sealed class DirectionJob(Action<int> loop) : IParallelJob
    {
        public void Execute(int index) => loop(index);
    }

    public override void Backward()
    {
        if (_output!.Grad is null && _hN!.Grad is null && _cN?.Grad is null) return; // nothing reached the loss
        // BPTT writes the gate gradients over the saved activations and frees each layer's storage once it is
        // done, so a second backward pass through the same forward pass has nothing to read (PyTorch refuses
        // it too, unless the graph was retained).
        if (_backwardDone)
            throw new InvalidOperationException("Recurrent layer: backward already ran through this forward pass, which used up its saved activations. Run the forward pass again before another backward pass.");
        _backwardDone = true;
        int dh = _d * _h, bh = _b * _h, ld = _l * _d;
        Tensor? dOutUser = _output.Grad;
        using var dTop = dOutUser is not null && _o.BatchFirst && !_singleStep ? Tensor.Rent([_t, _b, dh], clear: false) : null;
        if (dTop is not null) SwapBatchTime(dOutUser!.Span, dTop.Span, _b, _t, dh);
        Tensor? dOut = dTop ?? dOutUser;
        using var dh0All = Tensor.Rent([ld * bh]);
        using var dc0All = Tensor.Rent([ld * bh]);
        using var capture = _capture is null ? null : Tensor.Rent([_t * bh], clear: false);
        if (_capture is not null) _capture.Gradients ??= Tensor.Zeros(ld, _t, _b, _h);
        Tensor? dBelow = null;
        try
        {
            for (int layer = _l - 1; layer >= 0; layer--)
            {
                bool bottom = layer == 0, top = layer == _l - 1;
                int inSize = bottom ? _o.InputSize : dh;
                bool fromTokens = bottom && _tokens is not null;
                bool wantsDx = !bottom || _input is { RequiresGrad: true };
                // The time loops, then the weight-gradient GEMMs, which add into dIn: each side by side when the
                // directions get a core each, else one direction after the other.
                int layerIndex = layer;
                Tensor? dOutLayer = dOut;
                void Loop(int dir)
                {
                    int k = layerIndex * _d + dir;
                    ReadOnlySpan<float> dhNAll = _hN!.Grad is { } ghN ? ghN.Span : default, dcNAll = _cN?.Grad is { } gcN ? gcN.Span : default;
                    _passes[k].BackwardLoop(dOutLayer, dir * _h, dh,
                        dhNAll.IsEmpty ? default : dhNAll.Slice(k * bh, bh), dcNAll.IsEmpty ? default : dcNAll.Slice(k * bh, bh),
                        dh0All.Span.Slice(k * bh, bh), _o.HasCellState ? dc0All.Span.Slice(k * bh, bh) : default, capture);
                    if (capture is not null) capture.Span.CopyTo(_capture!.Gradients!.Span.Slice(k * _t * bh, _t * bh));
                }
                if (DirectionsSideBySide && capture is null) Parallelism.For(new DirectionJob(Loop), _d);
                else for (int dir = 0; dir < _d; dir++) Loop(dir);
                // Rented after the loops, which gave back the cell states, so it can take their storage. The reverse
                // direction's dX goes to a buffer of its own, added after, so that the two directions' weight
                // gradients can run side by side like their loops, a core each, with the bits of one after the other.
                Tensor? dIn = wantsDx ? Tensor.Rent([_t, _b, inSize]) : null;
                using Tensor? dInReverse = wantsDx && _d == 2 ? Tensor.Rent([_t, _b, inSize]) : null;
                void Weights(int dir)
                {
                    int k = layerIndex * _d + dir;
                    Tensor? dX = dir == 1 ? dInReverse : dIn;
                    if (fromTokens)
                        _passes[k].AccumulateWeightGradientsFromTokens(_embedding!.Value.Span, _embedding.Value.Dim(0), _tokens!,
                            _embedding.RequiresGrad ? _embedding.EnsureGrad().Span : default);
                    else _passes[k].AccumulateWeightGradients(LayerInput(layerIndex)!.Span, dX is null ? default : dX.Span);
                }
                // From tokens, both directions add into the embedding's gradient: one after the other.
                if (DirectionsSideBySide && !fromTokens) Parallelism.For(new DirectionJob(Weights), _d);
                else for (int dir = 0; dir < _d; dir++) Weights(dir);
                if (dInReverse is not null) TensorPrimitives.Add(dIn!.Span, dInReverse.Span, dIn.Span);
                for (int dir = 0; dir < _d; dir++)
                {
                    int k = layer * _d + dir;
                    _dropped[k]?.AccumulateGradient();
                    // This layer's activations are spent: the layers below can use their storage.
                    _passes[k].Dispose();
                }
                dBelow?.Dispose();
                dBelow = dIn;
                // layer input = dropout(output below): its gradient passes through the same mask.
                if (!bottom && _masks.Count > 0) TensorPrimitives.Multiply(dIn!.Span, _masks[layer - 1].Span, dIn.Span);
                if (!bottom)
                {
                    // The input of this layer is the output of the one below; when that output holds the lower
                    // pass's hidden states, it lives until that pass is done.
                    if (!_lowerOutputsHoldStates) _layerInputs[layer - 1].Dispose();
                    if (_masks.Count > 0) _masks[layer - 1].Dispose();
                }
                if (!top && _lowerOutputsHoldStates) _layerInputs[layer].Dispose();
                if (dIn is not null) dOut = dIn;
            }
            if (_input is { RequiresGrad: true })
            {
                Span<float> dx = _input.EnsureGrad().Span;
                if (_o.BatchFirst && !_singleStep)
                {
                    using var tmp = Tensor.Rent([_b, _t, _o.InputSize], clear: false);
                    SwapBatchTime(dBelow!.Span, tmp.Span, _t, _b, _o.InputSize);
                    TensorPrimitives.Add(dx, tmp.Span, dx);
                }
                else TensorPrimitives.Add(dx, dBelow!.Span, dx);
            }
        }
        finally
        {
            dBelow?.Dispose();
        }
        if (_initial is not null)
        {
            if (_initial.H.RequiresGrad) TensorPrimitives.Add(_initial.H.EnsureGrad().Span, dh0All.Span, _initial.H.Grad!.Span);
            if (_initial.C is { RequiresGrad: true } c) TensorPrimitives.Add(c.EnsureGrad().Span, dc0All.Span, c.Grad!.Span);
        }
    }

    /// <summary>[P, Q, F] → [Q, P, F].</summary>
    private static void SwapBatchTime(ReadOnlySpan<float> src, Span<float> dst, int p, int q, int f)
    {
        for (int i = 0; i < p; i++)
            for (int j = 0; j < q; j++)
                src.Slice((i * q + j) * f, f).CopyTo(dst.Slice((j * p + i) * f, f));
    }

    public void Dispose()
    {
        foreach (var pass in _passes) pass.Dispose();
        _passes.Clear();
        foreach (var t in _layerInputs) t.Dispose();
        _layerInputs.Clear();
        foreach (var m in _masks) m.Dispose();
        _masks.Clear();
        foreach (var w in _dropped) w?.Dispose();
        _dropped.Clear();
        _timeMajorInput?.Dispose();
        _timeMajorInput = null;
        _topTimeMajor?.Dispose();
        _topTimeMajor = null;
    }
}

/// <summary>
/// A weight-dropped copy of W_hh for one pass: W' = W ⊙ M with M ∈ {0, 1/(1−p)} drawn element-wise. The pass
/// reads W' and accumulates dL/dW' into it; <see cref="AccumulateGradient"/> then adds dL/dW = dL/dW' ⊙ M to the
/// parameter's gradient.
/// </summary>
internal sealed class DroppedWeight : IDisposable
{
    private readonly Parameter _source;
    private readonly Tensor _mask;   // [G, H], already scaled by 1/(1−p)

    private DroppedWeight(Parameter source, Tensor mask, Variable weight) => (_source, _mask, Weight) = (source, mask, weight);

    /// <summary>W ⊙ M, a variable whose gradient the pass fills.</summary>
    public Variable Weight { get; }

    public static DroppedWeight Draw(Parameter source, float p, Rng rng)
    {
        var mask = Tensor.Rent(source.Value.Shape.ToArray(), clear: false);
        Span<float> m = mask.Span;
        float scale = 1f / (1f - p);
        rng.FillDropoutMask(m, p, scale);
        var value = Tensor.Rent(source.Value.Shape.ToArray(), clear: false);
        TensorPrimitives.Multiply(source.Value.Span, m, value.Span);
        return new DroppedWeight(source, mask, new TapeResult(value, requiresGrad: true));
    }

    /// <summary>dL/dW += dL/dW' ⊙ M (W' = W ⊙ M), then clears dL/dW' for a second backward pass.</summary>
    public void AccumulateGradient()
    {
        if (Weight.Grad is not { } dDropped) return;
        Span<float> dW = _source.EnsureGrad().Span;
        TensorPrimitives.Multiply(dDropped.Span, _mask.Span, dDropped.Span);
        TensorPrimitives.Add(dW, dDropped.Span, dW);
        dDropped.Span.Clear();
    }

    public void Dispose()
    {
        Weight.ReleaseGrad();
        Weight.Value.Dispose();
        _mask.Dispose();
    }
}
