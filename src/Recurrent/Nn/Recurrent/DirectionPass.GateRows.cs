// The per-step gate math of a DirectionPass run over chunks of batch rows on every core. Rows are
// independent, so the result does not depend on how they are split. Small steps run inline.
// For small layers the whole time loop is split instead (RunSequence): each core runs every step for its
// own rows (recurrent GEMM and gate math), so a pass costs one parallel dispatch rather than two per step.
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Nn;

internal enum GatePhase { Forward, ResetGate, Backward, ResetGateBackward }

internal sealed partial class DirectionPass
{
    private readonly GateRows _rows;

    private sealed class GateRows(DirectionPass p) : IParallelJob
    {
        private const int InlineElements = 1 << 15;
        private GatePhase _phase;
        private int _t, _chunkRows, _outOffset, _outStride;
        private bool _sequence;
        private PackedMatrix? _packed;
        private Tensor? _scratch, _output, _carry, _dHh, _dOutput, _capture;

        public void BeginForward(Tensor scratch, Tensor output, int outOffset, int outStride) =>
            (_scratch, _output, _outOffset, _outStride) = (scratch, output, outOffset, outStride);

        public void BeginBackward(Tensor carry, Tensor scratch, Tensor? dHh, Tensor? dOutput, int outOffset, int outStride, Tensor? capture) =>
            (_carry, _scratch, _dHh, _dOutput, _outOffset, _outStride, _capture) = (carry, scratch, dHh, dOutput, outOffset, outStride, capture);

        public void End() => (_scratch, _output, _carry, _dHh, _dOutput, _capture, _packed) = (null, null, null, null, null, null, null);

        /// <summary>
        /// Runs the whole time loop of <paramref name="phase"/> (Forward or Backward) with chunks of
        /// <paramref name="chunkRows"/> rows on separate cores; <paramref name="packed"/> is the step GEMM's right operand.
        /// </summary>
        public void RunSequence(GatePhase phase, PackedMatrix packed, int chunkRows)
        {
            (_phase, _packed, _chunkRows, _sequence) = (phase, packed, chunkRows, true);
            try
            {
                Parallelism.For(this, (p._b + chunkRows - 1) / chunkRows);
            }
            finally
            {
                _sequence = false;
            }
        }

        public void Run(GatePhase phase, int t)
        {
            (_phase, _t, _sequence) = (phase, t, false);
            int chunks = p._b * p._g <= InlineElements ? 1 : Math.Min(p._b, 4 * Parallelism.ThreadCount);
            _chunkRows = (p._b + chunks - 1) / chunks;
            chunks = (p._b + _chunkRows - 1) / _chunkRows;
            if (chunks == 1) Execute(0);
            else Parallelism.For(this, chunks);
        }

        public void Execute(int chunk)
        {
            int b0 = chunk * _chunkRows, n = Math.Min(_chunkRows, p._b - b0);
            if (_sequence)
            {
                if (_phase == GatePhase.Forward) p.ForwardSequenceRows(b0, n, _scratch!.Span, _packed!);
                else p.BackwardSequenceRows(b0, n, _carry!.Span, _dHh, _packed!);
            }
            else if (_phase is GatePhase.Forward or GatePhase.ResetGate) ForwardRows(_t, b0, n);
            else BackwardRows(_t, b0, n);
        }

        public void ForwardRows(int t, int b0, int n)
        {
            int h = p._h, g = p._g, bh = p._b * h;
            ReadOnlySpan<bool> active = p._active.AsSpan(t * p._b + b0, n);
            Span<float> gates = p._act.Span.Slice(p.GateRow(t, b0) * g, n * g);
            Span<float> hBuf = p.HBuf, scratch = _scratch!.Span;
            ReadOnlySpan<float> hPrev = hBuf.Slice(p.PrevRow(t) * bh + b0 * h, n * h);
            Span<float> hNext = hBuf.Slice(p.NextRow(t) * bh + b0 * h, n * h);
            switch (p._cell)
            {
                case CellKind.RnnTanh:
                case CellKind.RnnRelu:
                    CellKernels.RnnForward(gates, hPrev, hNext, active, h, p._cell == CellKind.RnnRelu);
                    break;
                case CellKind.Lstm:
                {
                    Span<float> c = p._cBuf!.Span;
                    CellKernels.LstmForward(gates, c.Slice(p.CellRow(p.PrevRow(t)) * bh + b0 * h, n * h), hPrev, c.Slice(p.CellRow(p.NextRow(t)) * bh + b0 * h, n * h), hNext,
                        scratch.Slice(b0 * h, n * h), active, h);
                    break;
                }
                case CellKind.Gru:
                    CellKernels.GruForward(gates, scratch.Slice(b0 * g, n * g), hPrev, hNext, p._aux!.Span.Slice(p.AuxRow(t, b0) * h, n * h), active, h);
                    break;
                case CellKind.LayerNormLstm:
                {
                    Span<float> c = p._cBuf!.Span;
                    LayerNormGains ln = p._ln!;
                    int row = t * p._b + b0;
                    CellKernels.LayerNormLstmForward(gates, p._hHat!.Span.Slice(row * g, n * g), p._hRstd!.Span.Slice(row, n), ln.GainHh.Value.Span,
                        c.Slice(p.PrevRow(t) * bh + b0 * h, n * h), hPrev, c.Slice(p.NextRow(t) * bh + b0 * h, n * h), hNext,
                        p._cHat!.Span.Slice(row * h, n * h), p._cRstd!.Span.Slice(row, n), ln.GainC.Value.Span, ln.BiasC.Value.Span, active, h);
                    break;
                }
                default:
                    if (_phase == GatePhase.ResetGate)
                    {
                        CellKernels.GruOriginalGates(gates, scratch.Slice(b0 * 2 * h, n * 2 * h), hPrev, p._aux!.Span.Slice(t * bh + b0 * h, n * h), active, h);
                        return;
                    }
                    CellKernels.GruOriginalOutput(gates, scratch.Slice(2 * bh + b0 * h, n * h), hPrev, hNext, active, h);
                    break;
            }
            if (p.HIsOutput) return; // hNext is the output row itself
            Span<float> output = _output!.Span;
            for (int r = 0; r < n; r++)
            {
                Span<float> dst = output.Slice((t * p._b + b0 + r) * _outStride + _outOffset, h);
                if (active[r]) hNext.Slice(r * h, h).CopyTo(dst);
                else dst.Clear();
            }
        }

        public void BackwardRows(int t, int b0, int n)
        {
            int h = p._h, g = p._g, bh = p._b * h, bg = p._b * g;
            ReadOnlySpan<bool> active = p._active.AsSpan(t * p._b + b0, n);
            Span<float> carry = _carry!.Span, scratch = _scratch!.Span;
            Span<float> dh = carry.Slice(b0 * h, n * h), dhPrev = carry.Slice(bh + b0 * h, n * h);
            Span<float> dc = carry.Slice(2 * bh + b0 * h, n * h), dcPrev = carry.Slice(3 * bh + b0 * h, n * h);
            Span<float> gates = p._act.Span.Slice(t * bg + b0 * g, n * g); // activations in, gate gradients out
            ReadOnlySpan<float> hPrev = p.HBuf.Slice(p.PrevRow(t) * bh + b0 * h, n * h);
            if (_phase == GatePhase.ResetGateBackward)
            {
                CellKernels.GruOriginalBackwardReset(gates, hPrev, scratch.Slice(b0 * h, n * h), gates, dhPrev, active, h);
                return;
            }
            // h_t feeds the output (where active) and the next step: their gradients add.
            if (_dOutput is not null)
            {
                ReadOnlySpan<float> dOut = _dOutput.Span;
                for (int r = 0; r < n; r++)
                    if (active[r])
                        TensorPrimitives.Add(dh.Slice(r * h, h), dOut.Slice((t * p._b + b0 + r) * _outStride + _outOffset, h), dh.Slice(r * h, h));
            }
            if (_capture is not null) dh.CopyTo(_capture.Span.Slice(t * bh + b0 * h, n * h));
            switch (p._cell)
            {
                case CellKind.RnnTanh:
                case CellKind.RnnRelu:
                    CellKernels.RnnBackward(gates, dh, gates, dhPrev, active, h, p._cell == CellKind.RnnRelu);
                    break;
                case CellKind.Lstm:
                {
                    // tanh(c_t) is recomputed rather than stored: one fewer [T, B, H] buffer per layer.
                    Span<float> tanhC = scratch.Slice(b0 * h, n * h);
                    FastActivations.Tanh(p._cBuf!.Span.Slice(p.NextRow(t) * bh + b0 * h, n * h), tanhC);
                    CellKernels.LstmBackward(gates, p._cBuf.Span.Slice(p.PrevRow(t) * bh + b0 * h, n * h), tanhC, dh, dc, gates, dcPrev, dhPrev, active, h);
                    break;
                }
                case CellKind.LayerNormLstm:
                {
                    // The gradient of γ_c⊙ĉ + β_c goes over c_t, which no later backward step reads.
                    Span<float> c = p._cBuf!.Span;
                    LayerNormGains ln = p._ln!;
                    int row = t * p._b + b0;
                    CellKernels.LayerNormLstmBackward(gates, c.Slice(p.PrevRow(t) * bh + b0 * h, n * h), p._cHat!.Span.Slice(row * h, n * h),
                        p._cRstd!.Span.Slice(row, n), ln.GainC.Value.Span, ln.BiasC.Value.Span, p._hHat!.Span.Slice(row * g, n * g),
                        p._hRstd!.Span.Slice(row, n), ln.GainHh.Value.Span, dh, dc, c.Slice(p.NextRow(t) * bh + b0 * h, n * h),
                        _dHh!.Span.Slice(row * g, n * g), dcPrev, dhPrev, scratch.Slice(2 * b0 * h, 2 * n * h), active, h);
                    break;
                }
                case CellKind.Gru:
                    CellKernels.GruBackward(gates, p._aux!.Span.Slice(t * bh + b0 * h, n * h), hPrev, dh, gates, _dHh!.Span.Slice(t * bg + b0 * g, n * g), dhPrev, active, h);
                    break;
                default:
                    CellKernels.GruOriginalBackwardOutput(gates, hPrev, dh, gates, dhPrev, active, h);
                    break;
            }
        }
    }
}
