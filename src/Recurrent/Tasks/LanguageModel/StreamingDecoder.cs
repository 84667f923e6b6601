// Decoding one token at a time (batch 1) without the tape: the path generation takes. Each step streams
// every weight once through matrix-vector products split across the cores, and the embedding is folded into
// the first layer's input projection: Table[v] = W_ih·E[v] + b_ih (+ b_hh where it adds), so layer 0's input
// side is a row lookup (for the layer-normalised LSTM the table holds γ_ih⊙LN(W_ih·E[v]) + b, LN being row-wise).
// Above layer 0, RNN and LSTM multiply [W_ih | W_hh] by [h_below ; h] in one pass. The
// gate math is the same CellKernels as the fused layer. Weights can be kept in bfloat16 (float32 arithmetic),
// which halves the bytes read per token, or in int8 with a scale per row (integer sums), which quarters them.
// Weights and the vectors multiplied by them start on 64-byte boundaries.
// Legend: V vocabulary, E embedding, H hidden, G gate rows, L layers.
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
    /// <summary>
    /// int8 with a scale per row (as PyTorch's dynamic quantization), each product's vector quantized to 7 bits and
    /// the products summed exactly in int32 (<see cref="GemvInt8"/>); the folded embedding table stays float32.
    /// </summary>
    Int8,
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
    private readonly float[][] _gainIh = [], _gainHh = [], _gainC = [], _biasC = [], _biasGates = []; // layer-normalised LSTM, per layer (_biasGates: b_ih + b_hh)
    private readonly float[] _rstd = new float[2];

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
        (_bIh, _bHh) = (new float[_layers][], new float[_layers][]);
        bool normalised = _cell == CellKind.LayerNormLstm;
        if (normalised)
            (_gainIh, _gainHh, _gainC, _biasC, _biasGates) = (new float[_layers][], new float[_layers][], new float[_layers][], new float[_layers][], new float[_layers][]);
        for (int l = 0; l < _layers; l++)
        {
            float[] wIh = rnn.WeightIh(l).Value.Span.ToArray(), wHh = rnn.WeightHh(l).Value.Span.ToArray();
            _bIh[l] = rnn.BiasIh(l).Value.Span.ToArray();
            _bHh[l] = rnn.BiasHh(l).Value.Span.ToArray();
            if (normalised)
            {
                LayerNormGains ln = rnn.Norms(l)!;
                (_gainIh[l], _gainHh[l]) = (ln.GainIh.Value.Span.ToArray(), ln.GainHh.Value.Span.ToArray());
                (_gainC[l], _biasC[l]) = (ln.GainC.Value.Span.ToArray(), ln.BiasC.Value.Span.ToArray());
                _biasGates[l] = new float[_bIh[l].Length];
                TensorPrimitives.Add(_bIh[l], _bHh[l], _biasGates[l]);
            }
            if (l > 0 && AddsHiddenBias) _wCat[l] = new DecoderMatrix(Concatenate(wIh, wHh, _g, _h), _g, 2 * _h, precision);
            else
            {
                if (l > 0) _wIh[l] = new DecoderMatrix(wIh, _g, _h, precision);
                if (_cell == CellKind.GruOriginal)
                {
                    _wHh[l] = new DecoderMatrix(wHh.AsSpan(0, 2 * _h * _h), 2 * _h, _h, precision);
                    _wHhN[l] = new DecoderMatrix(wHh.AsSpan(2 * _h * _h), _h, _h, precision);
                }
                else _wHh[l] = new DecoderMatrix(wHh, _g, _h, precision);
            }
            if (l == 0)
            {
                _table = new float[_v * _g];
                ReadOnlySpan<float> embedding = network.Embedding.Weight.Value.Span;
                for (int v = 0; v < _v; v++)
                {
                    Span<float> row = _table.AsSpan(v * _g, _g);
                    Gemv.Reference(wIh, _g, e, embedding.Slice(v * e, e), row, accumulate: false);
                    if (normalised) NormalizeInputSide(0, row);
                    else TensorPrimitives.Add(row, _bIh[0], row);
                    if (AddsHiddenBias) TensorPrimitives.Add(row, _bHh[0], row);
                }
            }
        }
        _table ??= [];
        _decoder = new DecoderMatrix(network.Decoder.Weight.Value.Span, _v, _h, precision);
        _decoderBias = network.Decoder.Bias!.Value.Span.ToArray();
        _hState = Enumerable.Range(0, _layers).Select(_ => new AlignedArray<float>(_h)).ToArray();
        _cState = Enumerable.Range(0, _layers).Select(_ => new float[_h]).ToArray();
        (_gi, _gh, _xh, _rh) = (new float[_g], new float[_g], new AlignedArray<float>(2 * _h), new AlignedArray<float>(_h));
        (_hn, _tanhC, _hNext, _cNext) = (new float[_h], new float[_h], new float[_h], new float[_h]);
    }

    /// <summary>The precision the weights are kept in.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>b_hh adds where b_ih does, so above layer 0 both products can run as one over [W_ih | W_hh] (not the LN-LSTM, which normalises each product apart).</summary>
    private bool AddsHiddenBias => _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm;

    /// <summary>LN-LSTM: the raw input product in <paramref name="row"/> becomes γ_ih⊙LN(row) + (b_ih + b_hh), as the fused layer forms it.</summary>
    private void NormalizeInputSide(int l, Span<float> row)
    {
        LayerNormRows.NormalizeRow(row);
        TensorPrimitives.MultiplyAdd(row, _gainIh[l], _biasGates[l], row);
    }

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
            else if (_cell == CellKind.LayerNormLstm)
            {
                _wIh[l]!.Multiply(_hState[l - 1].Span, _gi, accumulate: false);
                NormalizeInputSide(l, _gi);
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
            case CellKind.LayerNormLstm:
                _wHh[l]!.Multiply(h, _gh, accumulate: false);
                CellKernels.LayerNormLstmForward(_gi, _gh, _rstd.AsSpan(0, 1), _gainHh[l], c, h, _cNext, _hNext, _tanhC, _rstd.AsSpan(1, 1),
                    _gainC[l], _biasC[l], Active, _h);
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

    /// <summary>A weight matrix [M, K] in float32, bfloat16 or int8 with its matrix-vector product.</summary>
    private sealed class DecoderMatrix
    {
        private readonly AlignedArray<float>? _single;
        private readonly AlignedArray<ushort>? _bf16;
        private readonly AlignedArray<sbyte>? _int8;
        private readonly float[] _scales = [];
        private readonly int[] _rowSums = [];
        private readonly int _m, _k;

        public DecoderMatrix(ReadOnlySpan<float> data, int m, int k, WeightPrecision precision)
        {
            (_m, _k) = (m, k);
            switch (precision)
            {
                case WeightPrecision.BFloat16:
                    _bf16 = new AlignedArray<ushort>(m * k);
                    GemvBf16.Pack(data, m, k, _bf16.Span);
                    break;
                case WeightPrecision.Int8:
                    var rowMajor = new sbyte[m * k];
                    (_scales, _rowSums) = (new float[m], new int[m]);
                    GemvInt8.Quantize(data, m, k, rowMajor, _scales, _rowSums);
                    _int8 = new AlignedArray<sbyte>(m * k);
                    GemvInt8.Pack(rowMajor, m, k, _int8.Span);
                    break;
                default:
                    _single = new AlignedArray<float>(m * k);
                    Gemv.Pack(data, m, k, _single.Span);
                    break;
            }
        }

        public void Multiply(ReadOnlySpan<float> x, Span<float> y, bool accumulate)
        {
            if (_bf16 is not null) GemvBf16.MultiplyPacked(_bf16.Span, _m, _k, x, y, accumulate);
            else if (_int8 is not null) GemvInt8.MultiplyPacked(_int8.Span, _scales, _rowSums, _m, _k, x, y, accumulate);
            else Gemv.MultiplyPacked(_single!.Span, _m, _k, x, y, accumulate);
        }
    }
}
