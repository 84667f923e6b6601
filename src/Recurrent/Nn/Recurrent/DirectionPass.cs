// One layer and one direction of a recurrent stack over a whole sequence, as a fused op with hand-written
// BPTT, following the structure of PyTorch's RNN.cpp (cell → time loop → direction → layer):
//   before the loop: Pre = X·W_ihᵀ + b_ih (+ b_hh where it simply adds) for all T·B rows, one GEMM;
//   in the loop:     only h_{t−1}·W_hhᵀ (one GEMM of B rows, W_hh packed once per pass) and the fused gate
//                    math remain; the gate math runs on all cores over chunks of rows (GateRows);
//   backward:        the loop computes the gate gradients and dh_{t−1} step by step, writing the gate
//                    gradients over the activations they came from (act is not needed afterwards); then
//                    dW_ih, dX and dW_hh are each one large GEMM over all T·B rows.
// Legend: T time, B batch, I input features, H hidden, G gate rows. Buffers are time-indexed; the hidden
// states live in hBuf [T+1, B, H]: the state after step t in row t and the initial state in row T, for
// either direction. Rows 0..T−1 are then exactly the direction's output [T, B, H], so when nothing is masked
// and the output is this direction's alone, hBuf is the output's own storage (given by the caller) instead
// of a copy. "h before step t" is row t+1 (reverse: rows 1..T, one block) or row t−1 (forward: rows
// 0..T−2, with the initial state apart in row T).
// The layer-normalised LSTM normalises the input projection of every row before the loop (keeping x̂ and r),
// computes W_hh·h into its own buffer each step (normalised there in place by the cell kernel, as the GRU keeps
// W_hh·h apart), and in backward keeps the gradients of those raw products [T·B, 4H] for dW_hh, as the GRU does.
using Recurrent.Autograd;
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Nn;

internal sealed unsafe partial class DirectionPass : IDisposable
{
    private readonly CellKind _cell;
    private readonly int _t, _b, _i, _h, _g;
    private readonly bool _reverse;
    private readonly Variable _wIh, _wHh, _bIh, _bHh;   // _wHh may be a weight-dropped copy of the parameter
    private readonly bool[] _active;          // [T·B]
    private Tensor _act;                      // [T, B, G] gate activations; gate gradients after backward ([B, G] when _gatesPerStep)
    private readonly bool _savesForBackward;  // false (inference): what only backward reads is kept for one step at a time
    private bool _gatesPerStep;               // _act holds one step's gates [B, G]: no backward reads them and no projection writes them all up front
    private readonly float[] _hStorage;       // hBuf [T+1, B, H]: the caller's output storage, or _hOwned's
    private readonly Tensor? _hOwned;         // hBuf when this pass owns it
    private Tensor? _cBuf;                    // [T+1, B, H] LSTM ([3, B, H] in inference: CellRow); released when the backward loop is done
    private readonly Tensor? _aux;            // [T, B, H] GRU hn ([B, H] in inference: AuxRow), original GRU r⊙h
    private Tensor? _dHhT;                    // [T·B, G] GRU, LN-LSTM: gradients of the recurrent pre-activations, between the backward loop and the weight gradients
    private readonly LayerNormGains? _ln;     // LN-LSTM: gains and the cell's shift
    private Tensor? _xHat, _xRstd;            // LN-LSTM: normalised input projections [rows, G] and their r [rows] (rows: T·B, or V from tokens)
    private Tensor? _hHat, _hRstd;            // LN-LSTM: normalised recurrent products [T, B, G] and their r [T·B]
    private Tensor? _cHat, _cRstd;            // LN-LSTM: normalised cells [T, B, H] and their r [T·B]
    private Tensor? _tokenTable;              // [V, G] RNN, LSTM fed from tokens: each step's rows start from it, until the forward loop ends
    private int[]? _tokenIds;                 // [T·B] the rows' ids into _tokenTable
    private Tensor? _loopInput;               // [T, B, I] when each step projects its own rows (ProjectInLoop), until the forward loop ends
    private PackedMatrix? _packedIh;          // W_ihᵀ packed, with _loopInput
    private Tensor? _loopBias;                // the up-front bias [G], with _loopInput

    /// <summary>
    /// A pass of <paramref name="cell"/> over T steps of B rows (input size I, hidden size H). When every step is
    /// active and the output holds this direction alone, <paramref name="outputStorage"/> may be the output's own
    /// storage [T, B, H], able to hold (T+1)·B·H floats: the pass keeps its hidden states in it (row T: the
    /// initial state), so the output needs no copy. Null: the pass keeps its own and copies into the output.
    /// Without <paramref name="savesForBackward"/> (inference) what only backward reads is kept for one step at a time:
    /// the gates [B, G] of a pass whose steps start their rows inside the loop (<see cref="ProjectTokens"/>,
    /// <see cref="ProjectInLoop"/>), the LSTM's cells, the GRU's hn. Each step then writes and reads them while they
    /// are in cache, instead of fresh memory for every step; <see cref="BackwardLoop"/> refuses such a pass.
    /// </summary>
    public DirectionPass(CellKind cell, int t, int b, int i, int h, bool reverse, bool[] active,
        Variable wIh, Variable wHh, Variable bIh, Variable bHh, float[]? outputStorage = null, LayerNormGains? norms = null,
        bool savesForBackward = true)
    {
        (_cell, _t, _b, _i, _h, _reverse, _active) = (cell, t, b, i, h, reverse, active);
        if ((cell == CellKind.LayerNormLstm) != (norms is not null))
            throw new ArgumentException("DirectionPass: the layer-normalised LSTM, and it alone, needs its normalisation gains.", nameof(norms));
        _ln = norms;
        _g = wIh.Value.Dim(0);
        (_wIh, _wHh, _bIh, _bHh) = (wIh, wHh, bIh, bHh);
        _savesForBackward = savesForBackward;
        _gatesPerStep = !savesForBackward && cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm or CellKind.Gru;
        _act = _gatesPerStep ? Tensor.Rent([b, _g], clear: false) : Tensor.Rent([t, b, _g], clear: false);
        if (outputStorage is not null)
        {
            if (outputStorage.Length < (long)(t + 1) * b * h)
                throw new ArgumentException($"DirectionPass: the output storage holds {outputStorage.Length} floats; the hidden states need {(long)(t + 1) * b * h}.", nameof(outputStorage));
            _hStorage = outputStorage;
        }
        else
        {
            _hOwned = Tensor.Rent([t + 1, b, h], clear: false);
            _hStorage = _hOwned.Storage;
        }
        if (cell.HasCellState()) _cBuf = Tensor.Rent([CellsPerStep ? 3 : t + 1, b, h], clear: false);
        if (norms is not null)
        {
            (_hHat, _hRstd) = (Tensor.Rent([t, b, _g], clear: false), Tensor.Rent([t * b], clear: false));
            (_cHat, _cRstd) = (Tensor.Rent([t, b, h], clear: false), Tensor.Rent([t * b], clear: false));
        }
        if (cell is CellKind.Gru or CellKind.GruOriginal) _aux = Tensor.Rent([HnPerStep ? 1 : t, b, h], clear: false);
        _rows = new GateRows(this);
    }

    /// <summary>The row of the gates that step t's batch row b0 uses: its own, or row b0 of the one step kept.</summary>
    private int GateRow(int t, int b0) => _gatesPerStep ? b0 : t * _b + b0;

    /// <summary>Inference LSTM: the cells in three rows, the initial one and two that the steps take in turn.</summary>
    private bool CellsPerStep => !_savesForBackward && _cell == CellKind.Lstm;

    /// <summary>The row of the cells that holds hBuf's row <paramref name="row"/>.</summary>
    private int CellRow(int row) => !CellsPerStep ? row : row == InitialRow ? 2 : row % 2;

    /// <summary>Inference GRU: hn, which only backward reads, is kept for the current step alone.</summary>
    private bool HnPerStep => !_savesForBackward && _cell == CellKind.Gru;

    /// <summary>The row of hn that step t's batch row b0 uses.</summary>
    private int AuxRow(int t, int b0) => HnPerStep ? b0 : t * _b + b0;

    /// <summary>Whether the gates are kept for one step at a time (for tests).</summary>
    internal bool KeepsOneStepOfGates => _gatesPerStep;

    /// <summary>The gates of every step, for a projection that writes them all before the loop.</summary>
    private void KeepGatesOfEveryStep()
    {
        if (!_gatesPerStep) return;
        _act.Dispose();
        _act = Tensor.Rent([_t, _b, _g], clear: false);
        _gatesPerStep = false;
    }

    private int PrevRow(int t) => _reverse ? t + 1 : t == 0 ? _t : t - 1;
    private int NextRow(int t) => t;
    private int FinalRow => _t == 0 ? InitialRow : _reverse ? 0 : _t - 1; // no steps: the initial state
    private int InitialRow => _t;

    /// <summary>Rows 0..T−1 of hBuf are the caller's output (the pass was given the output's storage).</summary>
    private bool HIsOutput => _hOwned is null;

    /// <summary>The hidden states [T+1, B, H]: row t after step t, row T the initial state.</summary>
    private Span<float> HBuf => _hStorage.AsSpan(0, (_t + 1) * _b * _h);
    private bool AddsHiddenBiasUpFront => _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm or CellKind.LayerNormLstm;

    /// <summary>The recurrent products W_hh·h go to a buffer of their own rather than into the gates (GRU, LN-LSTM).</summary>
    private bool RecurrentApart => _cell is CellKind.Gru or CellKind.LayerNormLstm;

    /// <summary>
    /// Runs the sequence. x [T, B, I]; h0, c0 [B, H]; writes this direction's output into
    /// output [T, B, outStride] at column <paramref name="outOffset"/> (zero past each length) and hN, cN [B, H].
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Tensor output, int outOffset, int outStride, Span<float> hN, Span<float> cN)
    {
        Project(x);
        ForwardLoop(h0, c0, output, outOffset, outStride, hN, cN);
    }

    /// <summary>The part of <see cref="Forward"/> before the time loop: Pre = X·W_ihᵀ + b_ih (+ b_hh), one GEMM.</summary>
    public void Project(ReadOnlySpan<float> x)
    {
        KeepGatesOfEveryStep();
        int rows = _t * _b;
        Span<float> act = _act.Span;
        if (_ln is not null)
        {
            ProjectNormalized(x, rows, act);
            return;
        }
        // The GEMM starts each row from the bias.
        using var bias = UpFrontBias();
        Gemm.MultiplyAddRowBias(Transpose.No, Transpose.Yes, rows, _g, _i, 1f, x, _i, _wIh.Value.Span, _i, bias.Span, act, _g);
    }

    /// <summary>The bias added before the loop: b_ih, plus b_hh where it simply adds (a rented [G]).</summary>
    private Tensor UpFrontBias()
    {
        var bias = Tensor.Rent([_g], clear: false);
        if (AddsHiddenBiasUpFront) TensorPrimitives.Add(_bIh.Value.Span, _bHh.Value.Span, bias.Span);
        else _bIh.Value.Span.CopyTo(bias.Span);
        return bias;
    }

    /// <summary>
    /// Whether <see cref="ProjectInLoop"/> pays: RNN, LSTM and GRU with at least 1,024 gate rows when training (each
    /// step's projection a wide product), and then only for inputs of at most 256 features, whose up-front product
    /// (K = I) runs well below the kernel's speed; in inference from 512 gate rows. Measured in one process, alternating
    /// the two ways batch by batch: clf-bilstm training (G = 1,024, I = 100) −3 to −4 %, charlm-lstm inference −1.5 to
    /// −2 %; charlm-lstm training (I = 512) only −0.4 % for 4 MB more at its peak (W_ih packed beside W_hh), charlm-gru
    /// level, and charlm-rnn training (G = 512) 1–2 % slower, its 32×512×512 step products too small to beat one large
    /// GEMM. In inference, where the loop keeps one step's gates in cache (the projection up front writes them all to
    /// memory), charlm-rnn's second layer gained 1.3–3.7 % in six alternations.
    /// </summary>
    public bool ProjectsInLoop(bool training) =>
        _ln is null && _cell != CellKind.GruOriginal && _g >= (training ? 1024 : 512) && (!training || _i <= 256);

    /// <summary>
    /// <see cref="Project"/> left to the time loop: each step starts its rows from b + x_t·W_ihᵀ (W_ih packed once) just
    /// before its recurrent product adds to them, so the pre-activations are used while in cache instead of written
    /// for all T·B rows and read back from memory. The same bits as projecting up front (a row of a GEMM does not
    /// depend on the others). RNN, LSTM and GRU; <paramref name="x"/> [T, B, I] must live until the loop is done.
    /// </summary>
    public void ProjectInLoop(Tensor x)
    {
        if (_ln is not null || _cell == CellKind.GruOriginal)
            throw new InvalidOperationException("DirectionPass: the layer-normalised LSTM and the original GRU project their input up front.");
        _loopInput = x;
        _packedIh = PackedMatrix.Pack(Transpose.Yes, _i, _g, _wIh.Value.Span, _i);
        _loopBias = UpFrontBias();
    }

    /// <summary>
    /// <see cref="Project"/> for an input that is an embedding lookup, X[r] = E[tokens[r]]: the projection of every
    /// vocabulary row, Table = E·W_ihᵀ + b [V, G], is one small GEMM, and Pre[r] = Table[tokens[r]] a row copy.
    /// When V is much smaller than T·B this replaces the largest part of the input GEMM.
    /// </summary>
    public void ProjectTokens(ReadOnlySpan<float> embedding, int vocabulary, int[] tokens)
    {
        var table = Tensor.Rent([vocabulary, _g], clear: false);
        if (_ln is not null) ProjectNormalized(embedding, vocabulary, table.Span); // LN is row-wise: normalise the table's rows
        else
        {
            using var bias = UpFrontBias();
            Gemm.MultiplyAddRowBias(Transpose.No, Transpose.Yes, vocabulary, _g, _i, 1f, embedding, _i, _wIh.Value.Span, _i, bias.Span, table.Span, _g);
        }
        if (_cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm || _cell == CellKind.Gru && _gatesPerStep)
        {
            // Each step's recurrent GEMM starts its rows from their table rows (RecurrentProduct): the same bits as
            // gathering every row here first, without writing and reading back T·B·G floats. The GRU, whose recurrent
            // products go apart, copies its step's rows into the one step of gates that inference keeps.
            (_tokenTable, _tokenIds) = (table, tokens);
            return;
        }
        KeepGatesOfEveryStep();
        TokenRows.Gather(table.Span, tokens, _act.Span, _g);
        table.Dispose();
    }

    /// <summary>LN-LSTM: <paramref name="pre"/>[r] = γ_ih ⊙ LN(W_ih·x_r) + b_ih + b_hh for <paramref name="rows"/> rows; x̂ and r are kept.</summary>
    private void ProjectNormalized(ReadOnlySpan<float> x, int rows, Span<float> pre)
    {
        (_xHat, _xRstd) = (Tensor.Rent([rows, _g], clear: false), Tensor.Rent([rows], clear: false));
        Gemm.Multiply(Transpose.No, Transpose.Yes, rows, _g, _i, 1f, x, _i, _wIh.Value.Span, _i, 0f, _xHat.Span, _g);
        using var bias = UpFrontBias();
        fixed (float* dst = pre)
            new InputNormalization(this, bias, dst, null, null).Run(rows);
    }

    /// <summary>
    /// The row loops of the LN-LSTM's input side on every core, in fixed chunks of rows (each row is independent, so
    /// the bits do not depend on the thread count). Forward: x̂ and r from the raw projection, and the gates' start
    /// γ_ih⊙x̂ + b. Backward: x̂ becomes the gradient of the raw projection, from the gates' gradients, and each chunk
    /// writes its sums Σ dOut ⊙ x̂ and Σ dOut to <paramref name="partials"/> [chunks, 2, G].
    /// </summary>
    private sealed unsafe class InputNormalization(DirectionPass p, Tensor? bias, float* pre, float* dOut, float* partials) : IParallelJob
    {
        private const int ChunkRows = 32;
        private int _rows;

        public static int Chunks(int rows) => (rows + ChunkRows - 1) / ChunkRows;

        public void Run(int rows)
        {
            _rows = rows;
            Parallelism.For(this, Chunks(rows));
        }

        public void Execute(int chunk)
        {
            int g = p._g, r0 = chunk * ChunkRows, r1 = Math.Min(_rows, r0 + ChunkRows);
            Span<float> xHat = p._xHat!.Span, rstd = p._xRstd!.Span;
            ReadOnlySpan<float> gain = p._ln!.GainIh.Value.Span;
            float[]? work = bias is null ? System.Buffers.ArrayPool<float>.Shared.Rent(g) : null;
            try
            {
                for (int r = r0; r < r1; r++)
                {
                    Span<float> row = xHat.Slice(r * g, g);
                    if (bias is not null)
                    {
                        rstd[r] = LayerNormRows.NormalizeRow(row);
                        TensorPrimitives.MultiplyAdd(row, gain, bias.Span, new Span<float>(pre + (long)r * g, g));
                    }
                    else
                    {
                        var dy = new ReadOnlySpan<float>(dOut + (long)r * g, g);
                        var sums = new Span<float>(partials + (long)chunk * 2 * g, 2 * g);
                        TensorPrimitives.MultiplyAdd(dy, row, sums[..g], sums[..g]);
                        TensorPrimitives.Add(sums[g..], dy, sums[g..]);
                        LayerNormRows.BackwardRow(dy, gain, row, rstd[r], row, work!);
                    }
                }
            }
            finally
            {
                if (work is not null) System.Buffers.ArrayPool<float>.Shared.Return(work);
            }
        }
    }

    /// <summary>The time loop of <see cref="Forward"/>, after <see cref="Project"/>.</summary>
    public void ForwardLoop(ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Tensor output, int outOffset, int outStride, Span<float> hN, Span<float> cN)
    {
        int bh = _b * _h;
        Span<float> hBuf = HBuf;
        h0.CopyTo(hBuf.Slice(InitialRow * bh, bh));
        if (_cBuf is not null) c0.CopyTo(_cBuf.Span.Slice(CellRow(InitialRow) * bh, bh));
        using var scratch = Tensor.Rent([_b * _g], clear: false);
        // W_hhᵀ is the right operand of every step: pack it once for the whole loop.
        ReadOnlySpan<float> wHh = _wHh.Value.Span;
        bool original = _cell == CellKind.GruOriginal;
        using PackedMatrix packed = original ? PackedMatrix.Pack(Transpose.Yes, _h, 2 * _h, wHh, _h) : PackedMatrix.Pack(Transpose.Yes, _h, _g, wHh, _h);
        using PackedMatrix? packedN = original ? PackedMatrix.Pack(Transpose.Yes, _h, _h, wHh[(2 * _h * _h)..], _h) : null;
        _rows.BeginForward(scratch, output, outOffset, outStride);
        if (SequenceChunkRows() is int chunkRows) _rows.RunSequence(GatePhase.Forward, packed, chunkRows);
        else
        {
            for (int s = 0; s < _t; s++)
            {
                int t = _reverse ? _t - 1 - s : s;
                StepForward(t, scratch.Span, packed, packedN);
            }
        }
        _rows.End();
        ReleaseLoopInputs();
        hBuf.Slice(FinalRow * bh, bh).CopyTo(hN);
        if (_cBuf is not null) _cBuf.Span.Slice(CellRow(FinalRow) * bh, bh).CopyTo(cN);
    }

    /// <summary>One step; <paramref name="packed"/> is W_hhᵀ (original GRU: its r, z rows; <paramref name="packedN"/> its n rows).</summary>
    private void StepForward(int t, Span<float> scratch, PackedMatrix packed, PackedMatrix? packedN)
    {
        int bh = _b * _h;
        ReadOnlySpan<float> hPrev = HBuf.Slice(PrevRow(t) * bh, bh);
        if (_cell != CellKind.GruOriginal)
        {
            RecurrentProduct(t, 0, _b, hPrev, scratch, packed);
            _rows.Run(GatePhase.Forward, t);
            return;
        }
        // Original GRU: r, z from W_hh's first 2H rows; then n's recurrent term from r⊙h.
        ReadOnlySpan<float> bHh = _bHh.Value.Span;
        Gemm.MultiplyAddRowBias(Transpose.No, _b, 1f, hPrev, _h, packed, bHh[..(2 * _h)], scratch[..(2 * bh)], 2 * _h);
        _rows.Run(GatePhase.ResetGate, t);
        Gemm.MultiplyAddRowBias(Transpose.No, _b, 1f, _aux!.Span.Slice(t * bh, bh), _h, packedN!, bHh.Slice(2 * _h, _h), scratch.Slice(2 * bh, bh), _h);
        _rows.Run(GatePhase.Forward, t);
    }

    /// <summary>
    /// Rows per core when the whole time loop is split by batch rows (each core runs every step for its rows),
    /// or null to split each step instead. Splitting the loop needs one dispatch per pass instead of two per step
    /// and no core waits for the other between steps. Each core then reads all of W_hh every step, from L3 once it
    /// outgrows a core's L2; at 32 or more rows per core that is a few GB/s, so the split is kept up to 8 MB of
    /// W_hh (a quarter of the L3 shared here). Measured in one process, alternating the two ways batch by batch
    /// (15 batches each, repeated): charlm-rnn's 1 MB W_hh trained 3–4 % faster split by rows, charlm-gru's 3 MB
    /// 2–3 %, charlm-lstm's 4 MB 1 %, and its inference 2 %. Not when this pass already runs on one core beside
    /// another (the directions of a bidirectional layer): its chunks would only run one after the other. Rows never
    /// interact and a GEMM row does not depend on the other rows, so both ways give the same bits.
    /// </summary>
    private int? SequenceChunkRows()
    {
        const long MaxWeightBytes = 8L << 20;
        int threads = Parallelism.ThreadCount;
        if (threads == 1 || Parallelism.InsideJob || _cell == CellKind.GruOriginal || (long)_h * _g * sizeof(float) > MaxWeightBytes) return null;
        // Whole micro-kernel panels (8 rows) per core; at least two chunks.
        int rows = (_b + threads - 1) / threads;
        rows = (rows + 7) / 8 * 8;
        return rows < _b ? rows : null;
    }

    /// <summary>
    /// Step t's recurrent product W_hh·h for rows [b0, b0 + n) (every cell but the original GRU): added into the gates
    /// (RNN, LSTM), or apart: starting from b_hh in the scratch rows (GRU), raw into x̂_hh (LN-LSTM). The gates' input
    /// side comes first where the loop makes it: the in-loop projection, or a GRU's token-table rows copied in.
    /// </summary>
    private void RecurrentProduct(int t, int b0, int n, ReadOnlySpan<float> hPrev, Span<float> scratch, PackedMatrix packed)
    {
        int rows = t * _b + b0;
        Span<float> gates = _act.Span.Slice(GateRow(t, b0) * _g, n * _g);
        if (_loopInput is not null)
            Gemm.MultiplyAddRowBias(Transpose.No, n, 1f, _loopInput.Span.Slice(rows * _i, n * _i), _i, _packedIh!, _loopBias!.Span, gates, _g);
        switch (_cell)
        {
            case CellKind.Gru:
                if (_tokenTable is not null)
                    TokenRows.CopyRows(_tokenTable.Span, _tokenIds.AsSpan(rows, n), gates, _g);
                Gemm.MultiplyAddRowBias(Transpose.No, n, 1f, hPrev, _h, packed, _bHh.Value.Span, scratch.Slice(b0 * _g, n * _g), _g);
                break;
            case CellKind.LayerNormLstm:
                Gemm.Multiply(Transpose.No, n, 1f, hPrev, _h, packed, 0f, _hHat!.Span.Slice(rows * _g, n * _g), _g);
                break;
            default:
                if (_tokenTable is not null)
                    Gemm.MultiplyAddTableRows(Transpose.No, n, 1f, hPrev, _h, packed, _tokenTable.Span, _tokenIds.AsSpan(rows, n), gates, _g);
                else Gemm.Multiply(Transpose.No, n, 1f, hPrev, _h, packed, 1f, gates, _g);
                break;
        }
    }

    /// <summary>The forward time loop for rows [b0, b0 + n) (RNN, LSTM, GRU).</summary>
    private void ForwardSequenceRows(int b0, int n, Span<float> scratch, PackedMatrix packed)
    {
        int bh = _b * _h;
        for (int s = 0; s < _t; s++)
        {
            int t = _reverse ? _t - 1 - s : s;
            RecurrentProduct(t, b0, n, HBuf.Slice(PrevRow(t) * bh + b0 * _h, n * _h), scratch, packed);
            _rows.ForwardRows(t, b0, n);
        }
    }

    /// <summary>The backward time loop for rows [b0, b0 + n) (RNN, LSTM, GRU).</summary>
    private void BackwardSequenceRows(int b0, int n, Span<float> carry, Tensor? dHhT, PackedMatrix packed)
    {
        int bh = _b * _h, bg = _b * _g;
        Span<float> dh = carry.Slice(b0 * _h, n * _h), dhPrev = carry.Slice(bh + b0 * _h, n * _h);
        Span<float> dc = carry.Slice(2 * bh + b0 * _h, n * _h), dcPrev = carry.Slice(3 * bh + b0 * _h, n * _h);
        for (int s = 0; s < _t; s++)
        {
            int t = _reverse ? s : _t - 1 - s;
            _rows.BackwardRows(t, b0, n);
            ReadOnlySpan<float> dGates = (RecurrentApart ? dHhT!.Span : _act.Span).Slice(t * bg + b0 * _g, n * _g);
            Gemm.Multiply(Transpose.No, n, 1f, dGates, _g, packed, 1f, dhPrev, _h);
            dhPrev.CopyTo(dh);
            if (_cBuf is not null) dcPrev.CopyTo(dc);
        }
    }

    /// <summary>
    /// BPTT over the sequence. dOutput [T, B, outStride] (this direction's columns at outOffset; empty = 0),
    /// dhN, dcN [B, H] (empty = 0). Accumulates into dX [T, B, I], the parameters' gradients, and writes
    /// dh0, dc0 [B, H]. <paramref name="capture"/> [T, B, H], if not empty, receives the total ∂L/∂h_t.
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, Tensor? dOutput, int outOffset, int outStride,
        ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN, Span<float> dX, Span<float> dh0, Span<float> dc0, Tensor? capture)
    {
        BackwardLoop(dOutput, outOffset, outStride, dhN, dcN, dh0, dc0, capture);
        AccumulateWeightGradients(x, dX);
    }

    /// <summary>The time loop of <see cref="Backward"/>; <see cref="AccumulateWeightGradients"/> must follow.</summary>
    public void BackwardLoop(Tensor? dOutput, int outOffset, int outStride,
        ReadOnlySpan<float> dhN, ReadOnlySpan<float> dcN, Span<float> dh0, Span<float> dc0, Tensor? capture)
    {
        if (!_savesForBackward)
            throw new InvalidOperationException("DirectionPass: this pass was built without savesForBackward, so it kept no gates or cells for backward; build it with savesForBackward to train.");
        int bh = _b * _h;
        _dHhT?.Dispose();
        _dHhT = RecurrentApart ? Tensor.Rent([_t * _b, _g], clear: false) : null;
        using var carry = Tensor.Rent([4 * bh]);   // dh, dh_{t−1}, dc, dc_{t−1}
        using var scratch = Tensor.Rent([Math.Max(_ln is null ? bh : 2 * bh, 1)], clear: false);
        Span<float> dh = carry.Span[..bh], dc = carry.Span.Slice(2 * bh, bh);
        if (!dhN.IsEmpty) dhN.CopyTo(dh);
        if (!dcN.IsEmpty) dcN.CopyTo(dc);
        ReadOnlySpan<float> wHh = _wHh.Value.Span;
        // W_hh is the right operand of every backward step: pack it once (original GRU: r,z rows and n rows apart).
        bool original = _cell == CellKind.GruOriginal;
        using PackedMatrix packed = original ? PackedMatrix.Pack(Transpose.No, 2 * _h, _h, wHh, _h) : PackedMatrix.Pack(Transpose.No, _g, _h, wHh, _h);
        using PackedMatrix? packedN = original ? PackedMatrix.Pack(Transpose.No, _h, _h, wHh[(2 * _h * _h)..], _h) : null;
        _rows.BeginBackward(carry, scratch, _dHhT, dOutput, outOffset, outStride, capture);
        if (SequenceChunkRows() is int chunkRows) _rows.RunSequence(GatePhase.Backward, packed, chunkRows);
        else
        {
            for (int s = 0; s < _t; s++) StepBackward(_reverse ? s : _t - 1 - s, carry.Span, scratch.Span, _dHhT, packed, packedN);
        }
        _rows.End();
        dh.CopyTo(dh0);
        if (!dc0.IsEmpty) dc.CopyTo(dc0);
        if (_ln is not null) NormalizationGainGradients();
        // The cell states are read by the loop alone: give them back before the weight-gradient GEMMs, so the
        // caller's dX buffer, rented next, can reuse them.
        _cBuf?.Dispose();
        _cBuf = null;
    }

    /// <summary>One backward step over all rows; <paramref name="packed"/> is W_hh (original GRU: its r, z rows; <paramref name="packedN"/> its n rows).</summary>
    private void StepBackward(int t, Span<float> carry, Span<float> scratch, Tensor? dHhT, PackedMatrix packed, PackedMatrix? packedN)
    {
        int bh = _b * _h, bg = _b * _g;
        Span<float> dh = carry[..bh], dhPrev = carry.Slice(bh, bh), dc = carry.Slice(2 * bh, bh), dcPrev = carry.Slice(3 * bh, bh);
        _rows.Run(GatePhase.Backward, t);
        if (_cell == CellKind.GruOriginal)
        {
            // hn = W_hn (r⊙h) + b_hn  →  d(r⊙h) = da_n·W_hn
            Gemm.Multiply(Transpose.No, _b, 1f, _act.Span.Slice(t * bg + 2 * _h, bg - 2 * _h), _g, packedN!, 0f, scratch, _h);
            _rows.Run(GatePhase.ResetGateBackward, t);
        }
        // dh_{t−1} += (the recurrent pre-activations' gradients)·W_hh (original GRU: [dr, dz]·W_hh[0:2H])
        Gemm.Multiply(Transpose.No, _b, 1f, (RecurrentApart ? dHhT!.Span : _act.Span).Slice(t * bg, bg), _g, packed, 1f, dhPrev, _h);
        dhPrev.CopyTo(dh);
        if (_cBuf is not null) dcPrev.CopyTo(dc);
    }

    /// <summary>
    /// LN-LSTM, after the backward loop: dγ_hh += Σ_rows dGates ⊙ x̂_hh, and from the gradients of γ_c⊙ĉ + β_c, which
    /// the loop left in the cell rows 0..T−1 (each spent once its step was done), dγ_c += Σ dCc ⊙ ĉ and dβ_c += Σ dCc.
    /// Sums run over rows in a fixed order, so they do not depend on the number of threads.
    /// </summary>
    private void NormalizationGainGradients()
    {
        int rows = _t * _b;
        LayerNormGains ln = _ln!;
        ColumnSums.AddProductsTo(_act.Span, _hHat!.Span, rows, _g, ln.GainHh.EnsureGrad().Span);
        ReadOnlySpan<float> dCc = _cBuf!.Span[..(rows * _h)];
        ColumnSums.AddProductsTo(dCc, _cHat!.Span, rows, _h, ln.GainC.EnsureGrad().Span);
        ColumnSums.AddTo(dCc, rows, _h, _h, ln.BiasC.EnsureGrad().Span);
        foreach (Tensor? spent in new[] { _hHat, _hRstd, _cHat, _cRstd }) spent?.Dispose();
        (_hHat, _hRstd, _cHat, _cRstd) = (null, null, null, null);
    }

    /// <summary>After <see cref="BackwardLoop"/>: the large GEMMs over all T·B rows; accumulates into dX [T, B, I] and the parameters' gradients.</summary>
    public void AccumulateWeightGradients(ReadOnlySpan<float> x, Span<float> dX)
    {
        try
        {
            if (WeightGradientsInOneProduct) SharedGateWeightGradients(x, dX);
            else WeightGradientGemms(x, _act.Span, _t * _b, dX);
        }
        finally
        {
            ReleaseRecurrentGradients();
        }
    }

    /// <summary>
    /// <see cref="AccumulateWeightGradients"/> after <see cref="ProjectTokens"/>: the gate gradients are first summed
    /// per token, dTable[v] = Σ_{r: tokens[r] = v} dPre[r], so the input side is two GEMMs over V rows instead of T·B:
    /// dW_ih += dTableᵀ·E and dE += dTable·W_ih (<paramref name="dEmbedding"/> empty: not wanted).
    /// </summary>
    public void AccumulateWeightGradientsFromTokens(ReadOnlySpan<float> embedding, int vocabulary, int[] tokens, Span<float> dEmbedding)
    {
        try
        {
            using var dTable = Tensor.Rent([vocabulary, _g]);
            TokenRows.ScatterAdd(_act.Span, tokens, dTable.Span, _g);
            // LN-LSTM: the table's rows were normalised (LN is row-wise), so the per-token sums go back through that.
            WeightGradientGemms(embedding, dTable.Span, vocabulary, dEmbedding);
        }
        finally
        {
            ReleaseRecurrentGradients();
        }
    }

    /// <summary>
    /// The input side from <paramref name="dPreInput"/> [rows, G] against <paramref name="x"/> [rows, I] (the sequence, or
    /// the table with its per-token sums), then the recurrent side from the gate gradients of every step. For the
    /// LN-LSTM, dPreInput is the gradient of the normalised input side, taken back through the normalisation first.
    /// </summary>
    private void WeightGradientGemms(ReadOnlySpan<float> x, ReadOnlySpan<float> dPreInput, int rows, Span<float> dX)
    {
        using var biasSum = Tensor.Rent([_g]);
        if (_ln is not null)
        {
            NormalizedInputGradients(dPreInput, rows, biasSum.Span);
            InputSideGradients(x, _xHat!.Span, rows, dX, default);
            RecurrentSideGradients(_act.Span, _dHhT!.Span, biasSum.Span);
            return;
        }
        InputSideGradients(x, dPreInput, rows, dX, biasSum.Span);
        RecurrentSideGradients(_act.Span, _dHhT is null ? _act.Span : _dHhT.Span, biasSum.Span);
    }

    /// <summary><see cref="WeightGradientGemms"/> over the sequence's rows when the two sides share dPre (<see cref="WeightGradientsInOneProduct"/>).</summary>
    private void SharedGateWeightGradients(ReadOnlySpan<float> x, Span<float> dX)
    {
        using var biasSum = Tensor.Rent([_g]);
        BothWeightGradients(x, biasSum.Span);
        TensorPrimitives.Add(_bIh.EnsureGrad().Span, biasSum.Span, _bIh.Grad!.Span);
        TensorPrimitives.Add(_bHh.EnsureGrad().Span, biasSum.Span, _bHh.Grad!.Span);
        AddInputGradient(_act.Span, _t * _b, dX);
    }

    /// <summary>
    /// RNN and LSTM: the input and recurrent pre-activations are one sum (both biases added up front), so W_ih, W_hh and
    /// the biases share their gradients dPre [T·B, G], and their weight gradients are one product:
    /// [dW_ih | dW_hh | db] += dPreᵀ·[X | H_prev | 1]. Taken where that product is narrow (I + H ≤ 512), for there packing
    /// dPre is a large part of its cost: 1024×356×6400 (clf-bilstm's) took 24.4 ms against 10.1 + 18.7 as two
    /// products; 2048×1024×6400 (charlm's second layer) saved 3 % of its time for 12 MB more at the peak.
    /// </summary>
    private bool WeightGradientsInOneProduct => _cell is CellKind.RnnTanh or CellKind.RnnRelu or CellKind.Lstm && _dHhT is null && _i + _h <= SharedProductMaxWidth;

    /// <summary>The widest I + H for which <see cref="WeightGradientsInOneProduct"/> holds (settable for tests, which compare the two ways).</summary>
    internal static int SharedProductMaxWidth = 512;

    /// <summary>
    /// dW_ih += dPreᵀ·X and dW_hh += dPreᵀ·H_prev as one GEMM over the columns [X | H_prev], so dPre (the largest operand:
    /// T·B·G floats, read from memory) is packed once instead of once per product. A column of ones after them gives
    /// Σ_rows dPre into <paramref name="biasSum"/> where it fits in the last panel's padding; otherwise it is summed
    /// apart. The rows are staged [X | H_prev | 1] a few MB at a time, in whole K blocks, so the sums run in the same
    /// blocks and order as one product over all rows.
    /// </summary>
    private void BothWeightGradients(ReadOnlySpan<float> x, Span<float> biasSum)
    {
        int rows = _t * _b, n = _i + _h;
        bool ones = n % (GemmKernels.NR / 2) != 0;
        int w = n + (ones ? 1 : 0);
        int chunk = Math.Max(1, (int)(StageFloats / ((long)w * GemmDriver.KC))) * GemmDriver.KC;
        Span<float> dWih = _wIh.EnsureGrad().Span, dWhh = _wHh.EnsureGrad().Span;
        using var sums = Tensor.Rent([_g, w], clear: false);
        Span<float> c = sums.Span;
        for (int r = 0; r < _g; r++)
        {
            dWih.Slice(r * _i, _i).CopyTo(c.Slice(r * w, _i));
            dWhh.Slice(r * _h, _h).CopyTo(c.Slice(r * w + _i, _h));
            if (ones) c[r * w + n] = 0f;
        }
        using var stage = Tensor.Rent([Math.Min(chunk, rows), w], clear: false);
        ReadOnlySpan<float> dPre = _act.Span;
        fixed (float* px = x)
        fixed (float* ph = HBuf)
        fixed (float* ps = stage.Span)
        {
            var job = new StageRows(this, px, ph, ps, w, ones);
            for (int r0 = 0; r0 < rows; r0 += chunk)
            {
                int count = Math.Min(chunk, rows - r0);
                job.Run(r0, count);
                Gemm.Multiply(Transpose.Yes, Transpose.No, _g, w, count, 1f, dPre.Slice(r0 * _g), _g, stage.Span, w, 1f, c, w);
            }
        }
        for (int r = 0; r < _g; r++)
        {
            c.Slice(r * w, _i).CopyTo(dWih.Slice(r * _i, _i));
            c.Slice(r * w + _i, _h).CopyTo(dWhh.Slice(r * _h, _h));
            if (ones) biasSum[r] = c[r * w + n];
        }
        if (!ones) ColumnSums.AddTo(dPre, rows, _g, _g, biasSum);
    }

    internal static long StageFloats = 1L << 20;  // the staged rows of BothWeightGradients: about 4 MB (settable for tests)

    /// <summary>Copies rows r0 … r0+count of [X | H_prev | 1] into the stage, on every core, in chunks of rows.</summary>
    private sealed class StageRows(DirectionPass p, float* x, float* hBuf, float* stage, int w, bool ones) : IParallelJob
    {
        private const int ChunkRows = 256;
        private int _r0, _count;

        public void Run(int r0, int count)
        {
            (_r0, _count) = (r0, count);
            Parallelism.For(this, (count + ChunkRows - 1) / ChunkRows);
        }

        public void Execute(int chunk)
        {
            int i = p._i, h = p._h, b = p._b;
            int end = Math.Min(_count, (chunk + 1) * ChunkRows);
            for (int k = chunk * ChunkRows; k < end; k++)
            {
                int r = _r0 + k, t = r / b;
                float* dst = stage + (long)k * w;
                new ReadOnlySpan<float>(x + (long)r * i, i).CopyTo(new Span<float>(dst, i));
                new ReadOnlySpan<float>(hBuf + ((long)p.PrevRow(t) * b + r % b) * h, h).CopyTo(new Span<float>(dst + i, h));
                if (ones) dst[i + h] = 1f;
            }
        }
    }

    private void ReleaseRecurrentGradients()
    {
        _dHhT?.Dispose();
        _dHhT = null;
        _xHat?.Dispose();
        _xRstd?.Dispose();
        (_xHat, _xRstd) = (null, null);
    }

    /// <summary>
    /// LN-LSTM: from the gradients of the normalised input side, dOut [rows, G] (γ_ih ⊙ x̂ + b): Σ dOut into
    /// <paramref name="biasSum"/> (and db_ih), dγ_ih += Σ dOut ⊙ x̂, and x̂ overwritten, row by row, by the gradient of the
    /// raw projection W_ih·x, which the input-side GEMMs read next. One pass over both: each chunk of rows sums its own
    /// rows in order, then the chunks are added in order, so the bits do not depend on the thread count.
    /// </summary>
    private void NormalizedInputGradients(ReadOnlySpan<float> dOut, int rows, Span<float> biasSum)
    {
        int chunks = InputNormalization.Chunks(rows);
        using var partials = Tensor.Rent([chunks, 2, _g]);   // per chunk: Σ dOut ⊙ x̂, Σ dOut
        fixed (float* d = dOut)
        fixed (float* part = partials.Span)
            new InputNormalization(this, null, null, d, part).Run(rows);
        Span<float> dGain = _ln!.GainIh.EnsureGrad().Span;
        for (int c = 0; c < chunks; c++)
        {
            ReadOnlySpan<float> chunk = partials.Span.Slice(c * 2 * _g, 2 * _g);
            TensorPrimitives.Add(dGain, chunk[.._g], dGain);
            TensorPrimitives.Add(biasSum, chunk[_g..], biasSum);
        }
        TensorPrimitives.Add(_bIh.EnsureGrad().Span, biasSum, _bIh.Grad!.Span);
    }

    /// <summary>
    /// Pre = X·W_ihᵀ + b_ih over <paramref name="rows"/> rows → dW_ih += dPreᵀ·X, db_ih += Σ_rows dPre (also left in
    /// <paramref name="biasSum"/>; empty: b_ih is not in Pre, as for the LN-LSTM's raw projection), dX += dPre·W_ih.
    /// </summary>
    private void InputSideGradients(ReadOnlySpan<float> x, ReadOnlySpan<float> dPre, int rows, Span<float> dX, Span<float> biasSum)
    {
        Gemm.Multiply(Transpose.Yes, Transpose.No, _g, _i, rows, 1f, dPre, _g, x, _i, 1f, _wIh.EnsureGrad().Span, _i);
        if (!biasSum.IsEmpty)
        {
            ColumnSums.AddTo(dPre, rows, _g, _g, biasSum);
            TensorPrimitives.Add(_bIh.EnsureGrad().Span, biasSum, _bIh.Grad!.Span);
        }
        AddInputGradient(dPre, rows, dX);
    }

    /// <summary>dX += dPre·W_ih over <paramref name="rows"/> rows (nothing when dX is not wanted: empty).</summary>
    private void AddInputGradient(ReadOnlySpan<float> dPre, int rows, Span<float> dX)
    {
        if (!dX.IsEmpty)
            Gemm.Multiply(Transpose.No, Transpose.No, rows, _i, _g, 1f, dPre, _g, _wIh.Value.Span, _i, 1f, dX, _i);
    }

    /// <summary>dW_hh and db_hh from the gate gradients of every step (<paramref name="biasSum"/>: Σ_rows dPre, which b_hh shares where it adds up front).</summary>
    private void RecurrentSideGradients(ReadOnlySpan<float> dPre, ReadOnlySpan<float> dHh, ReadOnlySpan<float> biasSum)
    {
        int rows = _t * _b;
        // Recurrent side: dW_hh += dGhhᵀ·H_prev over every step; db_hh += Σ dGhh
        Span<float> dWhh = _wHh.EnsureGrad().Span, dBhh = _bHh.EnsureGrad().Span;
        if (_cell == CellKind.GruOriginal)
        {
            RecurrentWeightGradient(dPre, 2 * _h, dWhh);
            Gemm.Multiply(Transpose.Yes, Transpose.No, _h, _h, rows, 1f, dPre[(2 * _h)..], _g, _aux!.Span, _h, 1f, dWhh[(2 * _h * _h)..], _h);
            TensorPrimitives.Add(dBhh, biasSum, dBhh);
        }
        else
        {
            RecurrentWeightGradient(dHh, _g, dWhh);
            // RNN and LSTM (either form) add b_hh where they add b_ih, so its gradient is the same sum: one pass, not two.
            // The GRU's r and z rows of dHh are those of dPre (only n's differ, by the factor r), so their sums are too.
            int shared = _cell == CellKind.Gru ? 2 * _h : _g;
            TensorPrimitives.Add(dBhh[..shared], biasSum[..shared], dBhh[..shared]);
            if (shared < _g) ColumnSums.AddTo(dHh[shared..], rows, _g - shared, _g, dBhh[shared..]);
        }
    }

    /// <summary>
    /// dW[0:m] += Σ_t dGᵀ_t·h_before(t) for the first <paramref name="m"/> gate rows (dG rows have stride G). Reverse:
    /// the states before steps 0..T−1 are rows 1..T, one GEMM. Forward: rows 0..T−2 for steps 1..T−1, and the
    /// initial state (row T) for step 0.
    /// </summary>
    private void RecurrentWeightGradient(ReadOnlySpan<float> dG, int m, Span<float> dW)
    {
        int bh = _b * _h, bg = _b * _g;
        ReadOnlySpan<float> hBuf = HBuf;
        if (_reverse)
        {
            Gemm.Multiply(Transpose.Yes, Transpose.No, m, _h, _t * _b, 1f, dG, _g, hBuf.Slice(bh, _t * bh), _h, 1f, dW, _h);
            return;
        }
        if (_t > 1)
            Gemm.Multiply(Transpose.Yes, Transpose.No, m, _h, (_t - 1) * _b, 1f, dG[bg..], _g, hBuf[..((_t - 1) * bh)], _h, 1f, dW, _h);
        Gemm.Multiply(Transpose.Yes, Transpose.No, m, _h, _b, 1f, dG[..bg], _g, hBuf.Slice(_t * bh, bh), _h, 1f, dW, _h);
    }

    /// <summary>Gives back what the forward loop alone reads: the folded token table, or the in-loop projection's input and packed W_ih.</summary>
    private void ReleaseLoopInputs()
    {
        _packedIh?.Dispose();
        _loopBias?.Dispose();
        (_loopInput, _packedIh, _loopBias) = (null, null, null);
        _tokenTable?.Dispose();
        (_tokenTable, _tokenIds) = (null, null);
    }

    public void Dispose()
    {
        ReleaseLoopInputs();
        _act.Dispose();
        _hOwned?.Dispose();
        _cBuf?.Dispose();
        _aux?.Dispose();
        _dHhT?.Dispose();
        foreach (Tensor? t in new[] { _xHat, _xRstd, _hHat, _hRstd, _cHat, _cRstd }) t?.Dispose();
    }
}
