// Decoding one token at a time (batch 1) without the tape: the path generation takes. Each step streams
// every weight once through matrix-vector products split across the cores (Gemv), and the embedding is
// folded into the first layer's input projection: Table[v] = W_ih·E[v] + b_ih (+ b_hh where it adds),
// so layer 0's input side is a row lookup. The gate math is the same CellKernels as the fused layer.
// Legend: V vocabulary, E embedding, H hidden, G gate rows, L layers.
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>A stateful single-stream decoder over a <see cref="LanguageModelNetwork"/>'s weights (copied at construction).</summary>
public sealed class StreamingDecoder
{
    private readonly LanguageModelShape _shape;
    private readonly CellKind _cell;
    private readonly int _h, _g, _v;
    private readonly float[] _table;                 // [V, G]: embedding folded into layer 0's input side
    private readonly float[][] _wIh, _wHh, _bIh, _bHh; // per layer (wIh unused for layer 0)
    private readonly float[] _decoderW, _decoderB;
    private readonly float[][] _h0, _c0;             // state per layer
    private readonly float[] _gi, _gh, _rh, _hn, _tanhC, _hNext, _cNext;
    private static readonly bool[] Active = [true];

    public StreamingDecoder(LanguageModelNetwork network)
    {
        _shape = network.Shape;
        _cell = _shape.Cell;
        if (network.Rnn.Options.Bidirectional) throw new ArgumentException("StreamingDecoder: a bidirectional stack cannot decode left to right.");
        _h = _shape.HiddenSize;
        _g = network.Rnn.Options.GateCount * _h;
        _v = _shape.VocabularySize;
        int layers = _shape.Layers, e = _shape.EmbeddingSize;
        (_wIh, _wHh, _bIh, _bHh) = (new float[layers][], new float[layers][], new float[layers][], new float[layers][]);
        for (int l = 0; l < layers; l++)
        {
            _wIh[l] = network.Rnn.WeightIh(l).Value.Span.ToArray();
            _wHh[l] = network.Rnn.WeightHh(l).Value.Span.ToArray();
            _bIh[l] = network.Rnn.BiasIh(l).Value.Span.ToArray();
            _bHh[l] = network.Rnn.BiasHh(l).Value.Span.ToArray();
        }
        bool addsHiddenBias = _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm;
        _table = new float[_v * _g];
        ReadOnlySpan<float> embedding = network.Embedding.Weight.Value.Span;
        for (int v = 0; v < _v; v++)
        {
            Span<float> row = _table.AsSpan(v * _g, _g);
            Gemv.Reference(_wIh[0], _g, e, embedding.Slice(v * e, e), row, accumulate: false);
            System.Numerics.Tensors.TensorPrimitives.Add(row, _bIh[0], row);
            if (addsHiddenBias) System.Numerics.Tensors.TensorPrimitives.Add(row, _bHh[0], row);
        }
        _decoderW = network.Decoder.Weight.Value.Span.ToArray();
        _decoderB = network.Decoder.Bias!.Value.Span.ToArray();
        _h0 = Enumerable.Range(0, layers).Select(_ => new float[_h]).ToArray();
        _c0 = Enumerable.Range(0, layers).Select(_ => new float[_h]).ToArray();
        (_gi, _gh) = (new float[_g], new float[_g]);
        (_rh, _hn, _tanhC, _hNext, _cNext) = (new float[_h], new float[_h], new float[_h], new float[_h], new float[_h]);
    }

    /// <summary>Zeroes the state.</summary>
    public void Reset()
    {
        foreach (float[] s in _h0) Array.Clear(s);
        foreach (float[] s in _c0) Array.Clear(s);
    }

    /// <summary>Feeds token <paramref name="token"/> and writes the next-token logits [V] into <paramref name="logits"/>.</summary>
    public void Step(int token, Span<float> logits)
    {
        if ((uint)token >= (uint)_v) throw new ArgumentOutOfRangeException(nameof(token), token, $"Token id must be in [0, {_v}).");
        if (logits.Length < _v) throw new ArgumentException($"StreamingDecoder.Step: logits needs {_v} elements; got {logits.Length}.", nameof(logits));
        bool addsHiddenBias = _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm;
        for (int l = 0; l < _shape.Layers; l++)
        {
            // gi = input side (layer 0: the folded table row)
            if (l == 0) _table.AsSpan(token * _g, _g).CopyTo(_gi);
            else
            {
                _bIh[l].CopyTo(_gi, 0);
                if (addsHiddenBias) System.Numerics.Tensors.TensorPrimitives.Add(_gi, _bHh[l], _gi);
                Gemv.Multiply(_wIh[l], _g, _h, _h0[l - 1], _gi, accumulate: true);
            }
            StepLayer(l);
        }
        _decoderB.CopyTo(logits);
        Gemv.Multiply(_decoderW, _v, _h, _h0[^1], logits, accumulate: true);
    }

    private void StepLayer(int l)
    {
        float[] h = _h0[l], c = _c0[l];
        switch (_cell)
        {
            case CellKind.RnnTanh:
            case CellKind.RnnRelu:
                Gemv.Multiply(_wHh[l], _g, _h, h, _gi, accumulate: true);
                CellKernels.RnnForward(_gi, h, _hNext, Active, _h, _cell == CellKind.RnnRelu);
                break;
            case CellKind.Lstm:
                Gemv.Multiply(_wHh[l], _g, _h, h, _gi, accumulate: true);
                CellKernels.LstmForward(_gi, c, h, _cNext, _hNext, _tanhC, Active, _h);
                _cNext.CopyTo(c, 0);
                break;
            case CellKind.Gru:
                _bHh[l].CopyTo(_gh, 0);
                Gemv.Multiply(_wHh[l], _g, _h, h, _gh, accumulate: true);
                CellKernels.GruForward(_gi, _gh, h, _hNext, _hn, Active, _h);
                break;
            default:
                _bHh[l].AsSpan(0, 2 * _h).CopyTo(_gh);
                Gemv.Multiply(_wHh[l], 2 * _h, _h, h, _gh, accumulate: true);
                CellKernels.GruOriginalGates(_gi, _gh, h, _rh, Active, _h);
                _bHh[l].AsSpan(2 * _h, _h).CopyTo(_hn);
                Gemv.Multiply(_wHh[l].AsSpan(2 * _h * _h), _h, _h, _rh, _hn, accumulate: true);
                CellKernels.GruOriginalOutput(_gi, _hn, h, _hNext, Active, _h);
                break;
        }
        _hNext.CopyTo(h, 0);
    }
}
