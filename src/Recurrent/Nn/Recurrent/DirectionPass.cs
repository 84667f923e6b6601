// One layer and one direction of a recurrent stack over a whole sequence, as a fused op with hand-written
// BPTT, following the structure of PyTorch's RNN.cpp (cell → time loop → direction → layer):
//   before the loop: Pre = X·W_ihᵀ + b_ih (+ b_hh where it simply adds) for all T·B rows, one GEMM;
//   in the loop:     only h_{t−1}·W_hhᵀ (one GEMM of B rows) and the fused gate math remain;
//   backward:        the loop computes the gate gradients and dh_{t−1} step by step; then dW_ih, dX and
//                    dW_hh are each one large GEMM over all T·B rows.
// Legend: T time, B batch, I input features, H hidden, G gate rows. Buffers are time-indexed; the hidden
// states live in hBuf [T+1, B, H] so that "h before step t" is one contiguous block for either direction
// (forward: rows 0..T−1, state after t at t+1; reverse: rows 1..T, state after t at t).
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

internal sealed class DirectionPass : IDisposable
{
    private readonly CellKind _cell;
    private readonly int _t, _b, _i, _h, _g;
    private readonly bool _reverse;
    private readonly Parameter _wIh, _wHh, _bIh, _bHh;
    private readonly bool[] _active;          // [T·B]
    private readonly Tensor _act;             // [T, B, G] gate activations
    private readonly Tensor _hBuf;            // [T+1, B, H]
    private readonly Tensor? _cBuf;           // [T+1, B, H] LSTM
    private readonly Tensor? _aux;            // [T, B, H] LSTM tanh(c'), GRU hn, original GRU r⊙h

    public DirectionPass(CellKind cell, int t, int b, int i, int h, bool reverse, bool[] active,
        Parameter wIh, Parameter wHh, Parameter bIh, Parameter bHh)
    {
        (_cell, _t, _b, _i, _h, _reverse, _active) = (cell, t, b, i, h, reverse, active);
        _g = wIh.Value.Dim(0);
        (_wIh, _wHh, _bIh, _bHh) = (wIh, wHh, bIh, bHh);
        _act = Tensor.Rent([t, b, _g], clear: false);
        _hBuf = Tensor.Rent([t + 1, b, h], clear: false);
        if (cell == CellKind.Lstm) _cBuf = Tensor.Rent([t + 1, b, h], clear: false);
        if (cell is CellKind.Lstm or CellKind.Gru or CellKind.GruOriginal) _aux = Tensor.Rent([t, b, h], clear: false);
    }

    private int PrevRow(int t) => _reverse ? t + 1 : t;
    private int NextRow(int t) => _reverse ? t : t + 1;
    private int FinalRow => _reverse ? 0 : _t;
    private int InitialRow => _reverse ? _t : 0;
    private bool AddsHiddenBiasUpFront => _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm;

    /// <summary>
    /// Runs the sequence. x [T, B, I]; h0, c0 [B, H]; writes this direction's output into
    /// output [T, B, outStride] at column <paramref name="outOffset"/> (zero past each length) and hN, cN [B, H].
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> output, int outOffset, int outStride, Span<float> hN, Span<float> cN)
    {
        int rows = _t * _b, bh = _b * _h, bg = _b * _g;
        Span<float> act = _act.Span, hBuf = _hBuf.Span;
        // Pre = X·W_ihᵀ + b_ih (+ b_hh)
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = act.Slice(r * _g, _g);
            _bIh.Value.Span.CopyTo(row);
            if (AddsHiddenBiasUpFront) TensorPrimitives.Add(row, _bHh.Value.Span, row);
        }
        Gemm.Multiply(Transpose.No, Transpose.Yes, rows, _g, _i, 1f, x, _i, _wIh.Value.Span, _i, 1f, act, _g);

        h0.CopyTo(hBuf.Slice(InitialRow * bh, bh));
        if (_cBuf is not null) c0.CopyTo(_cBuf.Span.Slice(InitialRow * bh, bh));
        using var scratch = Tensor.Rent([_b * Math.Max(_g, 1)], clear: false);
        // W_hhᵀ is the right operand of every step: pack it once for the whole loop.
        ReadOnlySpan<float> wHh = _wHh.Value.Span;
        bool original = _cell == CellKind.GruOriginal;
        using PackedMatrix packed = original ? PackedMatrix.Pack(Transpose.Yes, _h, 2 * _h, wHh, _h) : PackedMatrix.Pack(Transpose.Yes, _h, _g, wHh, _h);
        using PackedMatrix? packedN = original ? PackedMatrix.Pack(Transpose.Yes, _h, _h, wHh[(2 * _h * _h)..], _h) : null;
        for (int s = 0; s < _t; s++)
        {
            int t = _reverse ? _t - 1 - s : s;
            ReadOnlySpan<bool> active = _active.AsSpan(t * _b, _b);
            Span<float> gates = act.Slice(t * bg, bg);
            ReadOnlySpan<float> hPrev = hBuf.Slice(PrevRow(t) * bh, bh);
            Span<float> hNext = hBuf.Slice(NextRow(t) * bh, bh);
            StepForward(t, gates, hPrev, hNext, active, scratch.Span, packed, packedN);
            for (int b = 0; b < _b; b++)
            {
                Span<float> dst = output.Slice((t * _b + b) * outStride + outOffset, _h);
                if (active[b]) hNext.Slice(b * _h, _h).CopyTo(dst);
                else dst.Clear();
            }
        }
        hBuf.Slice(FinalRow * bh, bh).CopyTo(hN);
        if (_cBuf is not null) _cBuf.Span.Slice(FinalRow * bh, bh).CopyTo(cN);
    }

    /// <summary>One step; <paramref name="packed"/> is W_hhᵀ (original GRU: its r, z rows; <paramref name="packedN"/> its n rows).</summary>
    private void StepForward(int t, Span<float> gates, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<bool> active, Span<float> scratch,
        PackedMatrix packed, PackedMatrix? packedN)
    {
        int bh = _b * _h;
        ReadOnlySpan<float> bHh = _bHh.Value.Span;
        switch (_cell)
        {
            case CellKind.RnnTanh:
            case CellKind.RnnRelu:
                Gemm.Multiply(Transpose.No, _b, 1f, hPrev, _h, packed, 1f, gates, _g);
                CellKernels.RnnForward(gates, hPrev, hNext, active, _h, _cell == CellKind.RnnRelu);
                break;
            case CellKind.Lstm:
            {
                Span<float> c = _cBuf!.Span;
                Gemm.Multiply(Transpose.No, _b, 1f, hPrev, _h, packed, 1f, gates, _g);
                CellKernels.LstmForward(gates, c.Slice(PrevRow(t) * bh, bh), hPrev, c.Slice(NextRow(t) * bh, bh), hNext,
                    _aux!.Span.Slice(t * bh, bh), active, _h);
                break;
            }
            case CellKind.Gru:
            {
                Span<float> hh = scratch[..(_b * _g)];
                for (int b = 0; b < _b; b++) bHh.CopyTo(hh.Slice(b * _g, _g));
                Gemm.Multiply(Transpose.No, _b, 1f, hPrev, _h, packed, 1f, hh, _g);
                CellKernels.GruForward(gates, hh, hPrev, hNext, _aux!.Span.Slice(t * bh, bh), active, _h);
                break;
            }
            default:
            {
                // r, z from W_hh's first 2H rows; then n's recurrent term from r⊙h.
                Span<float> hhRz = scratch[..(_b * 2 * _h)];
                for (int b = 0; b < _b; b++) bHh[..(2 * _h)].CopyTo(hhRz.Slice(b * 2 * _h, 2 * _h));
                Gemm.Multiply(Transpose.No, _b, 1f, hPrev, _h, packed, 1f, hhRz, 2 * _h);
                Span<float> rh = _aux!.Span.Slice(t * bh, bh);
                CellKernels.GruOriginalGates(gates, hhRz, hPrev, rh, active, _h);
                Span<float> hn = scratch[..bh];
                for (int b = 0; b < _b; b++) bHh.Slice(2 * _h, _h).CopyTo(hn.Slice(b * _h, _h));
                Gemm.Multiply(Transpose.No, _b, 1f, rh, _h, packedN!, 1f, hn, _h);
                CellKernels.GruOriginalOutput(gates, hn, hPrev, hNext, active, _h);
                break;
            }
        }
    }

    /// <summary>
    /// BPTT over the sequence. dOutput [T, B, outStride] (this direction's columns at outOffset; null = 0),
    /// dhN, dcN [B, H] (empty = 0). Accumulates into dX [T, B, I], the parameters' gradients, and writes
    /// dh0, dc0 [B, H]. <paramref name="capture"/> [T, B, H], if not empty, receives the total ∂L/∂h_t.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dOutput, int outOffset, int outStride,
        ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN, Span<float> dX, Span<float> dh0, Span<float> dc0, Span<float> capture)
    {
        int rows = _t * _b, bh = _b * _h, bg = _b * _g;
        bool gru = _cell is CellKind.Gru;
        using var dPreT = Tensor.Rent([rows, _g], clear: false);
        using var dHhT = gru ? Tensor.Rent([rows, _g], clear: false) : null;
        using var dhT = Tensor.Rent([2, bh]);       // carried dh and the next step's dh_{t−1}
        using var dcT = Tensor.Rent([2, bh]);
        using var dRhT = Tensor.Rent([bh], clear: false);
        Span<float> dPre = dPreT.Span, dHh = gru ? dHhT!.Span : dPre;
        Span<float> dh = dhT.Span[..bh], dhPrev = dhT.Span[bh..], dc = dcT.Span[..bh], dcPrev = dcT.Span[bh..];
        if (!dhN.IsEmpty) dhN.CopyTo(dh);
        if (!dcN.IsEmpty) dcN.CopyTo(dc);
        ReadOnlySpan<float> act = _act.Span, hBuf = _hBuf.Span, wHh = _wHh.Value.Span;
        // W_hh is the right operand of every backward step: pack it once (original GRU: r,z rows and n rows apart).
        bool original = _cell == CellKind.GruOriginal;
        using PackedMatrix packed = original ? PackedMatrix.Pack(Transpose.No, 2 * _h, _h, wHh, _h) : PackedMatrix.Pack(Transpose.No, _g, _h, wHh, _h);
        using PackedMatrix? packedN = original ? PackedMatrix.Pack(Transpose.No, _h, _h, wHh[(2 * _h * _h)..], _h) : null;

        for (int s = 0; s < _t; s++)
        {
            int t = _reverse ? s : _t - 1 - s;
            ReadOnlySpan<bool> active = _active.AsSpan(t * _b, _b);
            // h_t feeds the output (where active) and the next step: their gradients add.
            if (!dOutput.IsEmpty)
                for (int b = 0; b < _b; b++)
                    if (active[b])
                        TensorPrimitives.Add(dh.Slice(b * _h, _h), dOutput.Slice((t * _b + b) * outStride + outOffset, _h), dh.Slice(b * _h, _h));
            if (!capture.IsEmpty) dh.CopyTo(capture.Slice(t * bh, bh));
            ReadOnlySpan<float> hPrev = hBuf.Slice(PrevRow(t) * bh, bh);
            Span<float> dGates = dPre.Slice(t * bg, bg);
            ReadOnlySpan<float> gates = act.Slice(t * bg, bg);
            switch (_cell)
            {
                case CellKind.RnnTanh:
                case CellKind.RnnRelu:
                    CellKernels.RnnBackward(gates, dh, dGates, dhPrev, active, _h, _cell == CellKind.RnnRelu);
                    Gemm.Multiply(Transpose.No, _b, 1f, dGates, _g, packed, 1f, dhPrev, _h);
                    break;
                case CellKind.Lstm:
                    CellKernels.LstmBackward(gates, _cBuf!.Span.Slice(PrevRow(t) * bh, bh), _aux!.Span.Slice(t * bh, bh),
                        dh, dc, dGates, dcPrev, dhPrev, active, _h);
                    Gemm.Multiply(Transpose.No, _b, 1f, dGates, _g, packed, 1f, dhPrev, _h);
                    break;
                case CellKind.Gru:
                {
                    Span<float> dHhStep = dHh.Slice(t * bg, bg);
                    CellKernels.GruBackward(gates, _aux!.Span.Slice(t * bh, bh), hPrev, dh, dGates, dHhStep, dhPrev, active, _h);
                    Gemm.Multiply(Transpose.No, _b, 1f, dHhStep, _g, packed, 1f, dhPrev, _h);
                    break;
                }
                default:
                {
                    CellKernels.GruOriginalBackwardOutput(gates, hPrev, dh, dGates, dhPrev, active, _h);
                    // hn = W_hn (r⊙h) + b_hn  →  d(r⊙h) = da_n·W_hn
                    Span<float> dRh = dRhT.Span;
                    Gemm.Multiply(Transpose.No, _b, 1f, dGates[(2 * _h)..], _g, packedN!, 0f, dRh, _h);
                    CellKernels.GruOriginalBackwardReset(gates, hPrev, dRh, dGates, dhPrev, active, _h);
                    // r, z pre-activations → dh_{t−1} += [dr, dz]·W_hh[0:2H]
                    Gemm.Multiply(Transpose.No, _b, 1f, dGates, _g, packed, 1f, dhPrev, _h);
                    break;
                }
            }
            dhPrev.CopyTo(dh);
            if (_cell == CellKind.Lstm) dcPrev.CopyTo(dc);
        }
        dh.CopyTo(dh0);
        if (!dc0.IsEmpty) dc.CopyTo(dc0);
        AccumulateWeightGradients(x, dPre, dHh, dX);
    }

    /// <summary>After the loop: the large GEMMs over all T·B rows.</summary>
    private void AccumulateWeightGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> dPre, ReadOnlySpan<float> dHh, Span<float> dX)
    {
        int rows = _t * _b, bh = _b * _h;
        // Pre = X·W_ihᵀ + b_ih  →  dW_ih += dPreᵀ·X, db_ih += Σ_rows dPre, dX += dPre·W_ih
        Gemm.Multiply(Transpose.Yes, Transpose.No, _g, _i, rows, 1f, dPre, _g, x, _i, 1f, _wIh.EnsureGrad().Span, _i);
        ColumnSum(dPre, rows, _g, _g, _bIh.EnsureGrad().Span);
        if (!dX.IsEmpty)
            Gemm.Multiply(Transpose.No, Transpose.No, rows, _i, _g, 1f, dPre, _g, _wIh.Value.Span, _i, 1f, dX, _i);
        // Recurrent side: dW_hh += dGhhᵀ·H_prev over every step; db_hh += Σ dGhh
        ReadOnlySpan<float> hPrevBlock = _hBuf.Span.Slice((_reverse ? 1 : 0) * bh, _t * bh);
        Span<float> dWhh = _wHh.EnsureGrad().Span, dBhh = _bHh.EnsureGrad().Span;
        if (_cell == CellKind.GruOriginal)
        {
            Gemm.Multiply(Transpose.Yes, Transpose.No, 2 * _h, _h, rows, 1f, dPre, _g, hPrevBlock, _h, 1f, dWhh, _h);
            Gemm.Multiply(Transpose.Yes, Transpose.No, _h, _h, rows, 1f, dPre[(2 * _h)..], _g, _aux!.Span, _h, 1f, dWhh[(2 * _h * _h)..], _h);
            ColumnSum(dPre, rows, _g, _g, dBhh);
        }
        else
        {
            Gemm.Multiply(Transpose.Yes, Transpose.No, _g, _h, rows, 1f, dHh, _g, hPrevBlock, _h, 1f, dWhh, _h);
            ColumnSum(dHh, rows, _g, _g, dBhh);
        }
    }

    /// <summary>dst[j] += Σ_r src[r·stride + j] for j &lt; width.</summary>
    private static void ColumnSum(ReadOnlySpan<float> src, int rows, int width, int stride, Span<float> dst)
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(dst[..width], src.Slice(r * stride, width), dst[..width]);
    }

    public void Dispose()
    {
        _act.Dispose();
        _hBuf.Dispose();
        _cBuf?.Dispose();
        _aux?.Dispose();
    }
}
