// Decoding one token at a time (batch 1) without the tape: the path generation takes. Each step streams
// every weight once through matrix-vector products split across the cores, and the embedding is folded into
// the first layer's input projection: Table[v] = W_ih·E[v] + b_ih (+ b_hh where it adds), so layer 0's input
// side is a row lookup. Above layer 0, RNN and LSTM multiply [W_ih | W_hh] by [h_below ; h] in one pass. The
// gate math is the same CellKernels as the fused layer. Weights can be kept in bfloat16 (float32 arithmetic),
// which halves the bytes read per token. Weights and the vectors multiplied by them start on 64-byte boundaries.
// An LSTM whose hidden size is a multiple of 16 keeps its gate rows interleaved in groups of 16 units (the i, f, g
// and o rows of units 16b…16b+15 together), so that each core's block of rows holds whole units: it computes
// their gates and then their cell update in the same dispatch (LstmStepJob) instead of leaving the update to one
// core afterwards. Each row's product and each unit's update are the same arithmetic as in the plain layout.
// Legend: V vocabulary, E embedding, H hidden, G gate rows, L layers.
using System.Runtime.Intrinsics;
using Recurrent.Nn;
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>How the streaming decoder stores its weight matrices.</summary>
public enum WeightPrecision
{
    /// <summary>float32, as trained.</summary>
    Float32,
    /// <summary>bfloat16 (rounded to nearest even), products accumulated in float32.</summary>
    BFloat16,
}

/// <summary>A stateful single-stream decoder over a <see cref="LanguageModelNetwork"/>'s weights (copied at construction).</summary>
public sealed class StreamingDecoder
{
    private static readonly bool[] Active = [true];
    private readonly CellKind _cell;
    private readonly int _layers, _h, _g, _v;
    private readonly float[] _table;                            // [V, G]: embedding folded into layer 0's input side
    private readonly DecoderMatrix?[] _wIh, _wHh, _wCat, _wHhN; // per layer; which are set depends on the cell
    private readonly float[][] _bIh, _bHh;
    private readonly DecoderMatrix _decoder;
    private readonly float[] _decoderBias;
    private readonly AlignedArray<float>[] _hState;
    private readonly float[][] _cState;
    private readonly AlignedArray<float> _xh, _rh;
    private readonly float[] _gi, _gh, _hn, _tanhC, _hNext, _cNext;
    private readonly LstmStepJob? _lstmJob;       // set when the LSTM gate rows are interleaved (hidden size a multiple of 16)
    private readonly float[][] _biasSum;          // per layer above 0, for the interleaved LSTM: b_ih + b_hh in that order
    private AlignedArray<float> _hSpare;          // the interleaved step writes h' here, then swaps it with the layer's h

    /// <summary>Copies the weights of <paramref name="network"/> (a unidirectional stack) in the given precision.</summary>
    public StreamingDecoder(LanguageModelNetwork network, WeightPrecision precision = WeightPrecision.Float32)
    {
        RecurrentLayer rnn = network.Rnn;
        if (rnn.Options.Bidirectional) throw new ArgumentException("StreamingDecoder: a bidirectional stack cannot decode left to right.", nameof(network));
        Precision = precision;
        _cell = network.Shape.Cell;
        (_layers, _h, _v) = (network.Shape.Layers, network.Shape.HiddenSize, network.Shape.VocabularySize);
        _g = rnn.Options.GateCount * _h;
        int e = network.Shape.EmbeddingSize;
        (_wIh, _wHh, _wCat, _wHhN) = (new DecoderMatrix?[_layers], new DecoderMatrix?[_layers], new DecoderMatrix?[_layers], new DecoderMatrix?[_layers]);
        (_bIh, _bHh, _biasSum) = (new float[_layers][], new float[_layers][], new float[_layers][]);
        // An LSTM with a hidden size that is a multiple of 16 keeps its gate rows in the interleaved order.
        bool interleaved = _cell == CellKind.Lstm && _h % LstmStepJob.Group == 0;
        float[] Rows(float[] w, int k) => interleaved ? LstmStepJob.InterleaveRows(w, _h, k) : w;
        for (int l = 0; l < _layers; l++)
        {
            float[] wIh = rnn.WeightIh(l).Value.Span.ToArray(), wHh = rnn.WeightHh(l).Value.Span.ToArray();
            _bIh[l] = rnn.BiasIh(l).Value.Span.ToArray();
            _bHh[l] = rnn.BiasHh(l).Value.Span.ToArray();
            if (l > 0 && AddsHiddenBias) _wCat[l] = new DecoderMatrix(Rows(Concatenate(wIh, wHh, _g, _h), 2 * _h), _g, 2 * _h, precision);
            else
            {
                if (l > 0) _wIh[l] = new DecoderMatrix(wIh, _g, _h, precision);
                if (_cell == CellKind.GruOriginal)
                {
                    _wHh[l] = new DecoderMatrix(wHh.AsSpan(0, 2 * _h * _h).ToArray(), 2 * _h, _h, precision);
                    _wHhN[l] = new DecoderMatrix(wHh.AsSpan(2 * _h * _h).ToArray(), _h, _h, precision);
                }
                else _wHh[l] = new DecoderMatrix(Rows(wHh, _h), _g, _h, precision);
            }
            if (l == 0)
            {
                _table = new float[_v * _g];
                ReadOnlySpan<float> embedding = network.Embedding.Weight.Value.Span;
                for (int v = 0; v < _v; v++)
                {
                    Span<float> row = _table.AsSpan(v * _g, _g);
                    Gemv.Reference(wIh, _g, e, embedding.Slice(v * e, e), row, accumulate: false);
                    TensorPrimitives.Add(row, _bIh[0], row);
                    if (AddsHiddenBias) TensorPrimitives.Add(row, _bHh[0], row);
                }
            }
        }
        _table ??= [];
        if (interleaved)
        {
            _table = LstmStepJob.InterleaveColumns(_table, _h);
            for (int l = 1; l < _layers; l++)
            {
                float[] sum = new float[_g];
                TensorPrimitives.Add(_bIh[l], _bHh[l], sum);
                _biasSum[l] = LstmStepJob.InterleaveColumns(sum, _h);
            }
            _lstmJob = new LstmStepJob(_h);
        }
        _decoder = new DecoderMatrix(network.Decoder.Weight.Value.Span.ToArray(), _v, _h, precision);
        _decoderBias = network.Decoder.Bias!.Value.Span.ToArray();
        _hState = Enumerable.Range(0, _layers).Select(_ => new AlignedArray<float>(_h)).ToArray();
        _cState = Enumerable.Range(0, _layers).Select(_ => new float[_h]).ToArray();
        (_gi, _gh, _xh, _rh) = (new float[_g], new float[_g], new AlignedArray<float>(2 * _h), new AlignedArray<float>(_h));
        (_hn, _tanhC, _hNext, _cNext) = (new float[_h], new float[_h], new float[_h], new float[_h]);
        _hSpare = new AlignedArray<float>(_h);
    }

    /// <summary>The precision the weights are kept in.</summary>
    public WeightPrecision Precision { get; }

    private bool AddsHiddenBias => _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm;

    /// <summary>Zeroes the state.</summary>
    public void Reset()
    {
        foreach (AlignedArray<float> s in _hState) s.Span.Clear();
        foreach (float[] s in _cState) Array.Clear(s);
    }

    /// <summary>Feeds token <paramref name="token"/> and writes the next-token logits [V] into <paramref name="logits"/>.</summary>
    public void Step(int token, Span<float> logits)
    {
        if ((uint)token >= (uint)_v) throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id must be in [0, {_v}).");
        if (logits.Length < _v) throw new ArgumentException($"StreamingDecoder.Step: logits needs {_v} elements; got {logits.Length}.", nameof(logits));
        for (int l = 0; l < _layers; l++)
        {
            if (_lstmJob is not null)
            {
                StepLstmInterleaved(l, token);
                continue;
            }
            bool recurrentDone = false;
            if (l == 0) _table.AsSpan(token * _g, _g).CopyTo(_gi);
            else if (_wCat[l] is { } cat)
            {
                // gates = [W_ih | W_hh]·[h_below ; h] + b: both products in one pass over the weights.
                TensorPrimitives.Add(_bIh[l], _bHh[l], _gi);
                _hState[l - 1].Span.CopyTo(_xh.Span);
                _hState[l].Span.CopyTo(_xh.Span[_h..]);
                cat.Multiply(_xh.Span, _gi, accumulate: true);
                recurrentDone = true;
            }
            else
            {
                _bIh[l].CopyTo(_gi, 0);
                _wIh[l]!.Multiply(_hState[l - 1].Span, _gi, accumulate: true);
            }
            StepLayer(l, recurrentDone);
        }
        _decoderBias.CopyTo(logits);
        _decoder.Multiply(_hState[^1].Span, logits, accumulate: true);
    }

    /// <summary>Layer <paramref name="l"/> of an LSTM with interleaved gate rows: gates and cell update in one dispatch.</summary>
    private void StepLstmInterleaved(int l, int token)
    {
        LstmStepJob job = _lstmJob!;
        if (l == 0) (job.Matrix, job.X, job.Start, job.StartOffset) = (_wHh[0]!, _hState[0], _table, token * _g);
        else
        {
            _hState[l - 1].Span.CopyTo(_xh.Span);
            _hState[l].Span.CopyTo(_xh.Span[_h..]);
            (job.Matrix, job.X, job.Start, job.StartOffset) = (_wCat[l]!, _xh, _biasSum[l], 0);
        }
        (job.C, job.HNext) = (_cState[l], _hSpare);
        job.Run();
        (_hState[l], _hSpare) = (_hSpare, _hState[l]);
    }

    /// <summary>The recurrent product (unless done) and the gate math of layer <paramref name="l"/>.</summary>
    private void StepLayer(int l, bool recurrentDone)
    {
        Span<float> h = _hState[l].Span;
        float[] c = _cState[l];
        switch (_cell)
        {
            case CellKind.RnnTanh:
            case CellKind.RnnRelu:
                if (!recurrentDone) _wHh[l]!.Multiply(h, _gi, accumulate: true);
                CellKernels.RnnForward(_gi, h, _hNext, Active, _h, _cell == CellKind.RnnRelu);
                break;
            case CellKind.Lstm:
                if (!recurrentDone) _wHh[l]!.Multiply(h, _gi, accumulate: true);
                CellKernels.LstmForward(_gi, c, h, _cNext, _hNext, _tanhC, Active, _h);
                _cNext.CopyTo(c, 0);
                break;
            case CellKind.Gru:
                _bHh[l].CopyTo(_gh, 0);
                _wHh[l]!.Multiply(h, _gh, accumulate: true);
                CellKernels.GruForward(_gi, _gh, h, _hNext, _hn, Active, _h);
                break;
            default:
                _bHh[l].AsSpan(0, 2 * _h).CopyTo(_gh);
                _wHh[l]!.Multiply(h, _gh, accumulate: true);
                CellKernels.GruOriginalGates(_gi, _gh, h, _rh.Span, Active, _h);
                _bHh[l].AsSpan(2 * _h, _h).CopyTo(_hn);
                _wHhN[l]!.Multiply(_rh.Span, _hn, accumulate: true);
                CellKernels.GruOriginalOutput(_gi, _hn, h, _hNext, Active, _h);
                break;
        }
        _hNext.CopyTo(h);
    }

    /// <summary>[W_ih | W_hh] row by row: [G, 2H].</summary>
    private static float[] Concatenate(float[] wIh, float[] wHh, int g, int h)
    {
        var cat = new float[g * 2 * h];
        for (int r = 0; r < g; r++)
        {
            wIh.AsSpan(r * h, h).CopyTo(cat.AsSpan(r * 2 * h, h));
            wHh.AsSpan(r * h, h).CopyTo(cat.AsSpan(r * 2 * h + h, h));
        }
        return cat;
    }

    /// <summary>
    /// One step of an LSTM layer whose gate rows are interleaved in groups of <see cref="Group"/> units: rows
    /// [64b, 64b + 64) hold the i, f, g and o rows of units 16b…16b + 15. Each work item takes a block of whole groups,
    /// so one contiguous stream of weights per core: its gate pre-activations start from <see cref="Start"/> (the
    /// folded table row, or the summed biases) and gain W·x, then its units' cell update runs in place (c) and into
    /// <see cref="HNext"/> (h', a second buffer, since other items still read h). The update is CellKernels.LstmForward's
    /// arithmetic lane for lane, so results do not depend on how many items ran.
    /// </summary>
    private sealed class LstmStepJob : IParallelJob
    {
        public const int Group = 16;
        private readonly int _h;
        private readonly float[] _gates;
        private int _unitsPerItem;
        public DecoderMatrix? Matrix;
        public AlignedArray<float>? X, HNext;
        public float[]? Start, C;
        public int StartOffset;

        public LstmStepJob(int h) => (_h, _gates) = (h, new float[4 * h]);

        /// <summary>A gate-major weight matrix [4H, K] (gate q, unit u in row q·H + u) with its rows interleaved.</summary>
        public static float[] InterleaveRows(float[] w, int h, int k)
        {
            var result = new float[w.Length];
            for (int q = 0; q < 4; q++)
                for (int u = 0; u < h; u++)
                    w.AsSpan((q * h + u) * k, k).CopyTo(result.AsSpan(To(q, u) * k, k));
            return result;
        }

        /// <summary>Rows of 4H gate values (a table of pre-activations, or a bias) with each row's columns interleaved.</summary>
        public static float[] InterleaveColumns(float[] values, int h)
        {
            int g = 4 * h;
            var result = new float[values.Length];
            for (int r = 0; r < values.Length / g; r++)
                for (int q = 0; q < 4; q++)
                    for (int u = 0; u < h; u++)
                        result[r * g + To(q, u)] = values[r * g + q * h + u];
            return result;
        }

        /// <summary>Where gate <paramref name="q"/> of unit <paramref name="u"/> goes in the interleaved order.</summary>
        private static int To(int q, int u) => u / Group * 4 * Group + q * Group + u % Group;

        /// <summary>All blocks, across the cores when the layer is large enough to repay a dispatch.</summary>
        public void Run()
        {
            int threads = Parallelism.ThreadCount, groups = _h / Group;
            _unitsPerItem = (groups + threads - 1) / threads * Group;
            int items = (_h + _unitsPerItem - 1) / _unitsPerItem;
            if (Matrix!.Size < 1 << 15) for (int i = 0; i < items; i++) Execute(i);
            else Parallelism.For(this, items);
        }

        public void Execute(int item)
        {
            int u0 = item * _unitsPerItem, u1 = Math.Min(_h, u0 + _unitsPerItem);
            if (u0 >= u1) return;
            int r0 = 4 * u0, r1 = 4 * u1;
            Span<float> gates = _gates;
            Start.AsSpan(StartOffset + r0, r1 - r0).CopyTo(gates[r0..r1]);
            Matrix!.MultiplyRows(X!.Span, gates, r0, r1);
            Span<float> c = C, h = HNext!.Span, tc = stackalloc float[Group];
            for (int u = u0; u < u1; u += Group)
            {
                Span<float> block = gates.Slice(4 * u, 4 * Group);
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512<float> i = FastActivations.Sigmoid(Vector512.Create(block[..Group]));
                    Vector512<float> f = FastActivations.Sigmoid(Vector512.Create(block.Slice(Group, Group)));
                    Vector512<float> g = FastActivations.Tanh(Vector512.Create(block.Slice(2 * Group, Group)));
                    Vector512<float> o = FastActivations.Sigmoid(Vector512.Create(block.Slice(3 * Group, Group)));
                    Span<float> cu = c.Slice(u, Group);
                    Vector512<float> cNew = i * g + f * Vector512.Create(cu);       // f⊙c + i⊙g, rounded as LstmForward rounds it
                    cNew.CopyTo(cu);
                    (o * FastActivations.Tanh(cNew)).CopyTo(h.Slice(u, Group));
                }
                else
                {
                    Span<float> i = block[..Group], f = block.Slice(Group, Group), g = block.Slice(2 * Group, Group), o = block.Slice(3 * Group, Group);
                    Span<float> cu = c.Slice(u, Group);
                    FastActivations.Sigmoid(i, i);
                    FastActivations.Sigmoid(f, f);
                    FastActivations.Tanh(g, g);
                    FastActivations.Sigmoid(o, o);
                    TensorPrimitives.Multiply(f, cu, cu);
                    TensorPrimitives.MultiplyAdd(i, g, cu, cu);
                    FastActivations.Tanh(cu, tc);
                    TensorPrimitives.Multiply(o, tc, h.Slice(u, Group));
                }
            }
        }
    }

    /// <summary>A weight matrix [M, K] in float32 or bfloat16 with its matrix-vector product.</summary>
    private sealed class DecoderMatrix
    {
        private readonly AlignedArray<float>? _single;
        private readonly AlignedArray<ushort>? _bf16;
        private readonly int _m, _k;

        public DecoderMatrix(float[] data, int m, int k, WeightPrecision precision)
        {
            (_m, _k) = (m, k);
            if (precision == WeightPrecision.BFloat16) _bf16 = new AlignedArray<ushort>(GemvBf16.Pack(data, m, k));
            else _single = new AlignedArray<float>(data);
        }

        public long Size => (long)_m * _k;

        /// <summary>y[r] += W[r]·x for rows [start, end), on the calling thread.</summary>
        public void MultiplyRows(ReadOnlySpan<float> x, Span<float> y, int start, int end)
        {
            if (_bf16 is not null) GemvBf16.MultiplyPackedRows(_bf16.Span, _m, _k, x, y, start, end, accumulate: true);
            else Gemv.MultiplyRows(_single!.Span, _m, _k, x, y, start, end, accumulate: true);
        }

        public void Multiply(ReadOnlySpan<float> x, Span<float> y, bool accumulate)
        {
            if (_bf16 is not null) GemvBf16.MultiplyPacked(_bf16.Span, _m, _k, x, y, accumulate);
            else Gemv.Multiply(_single!.Span, _m, _k, x, y, accumulate);
        }
    }
}
