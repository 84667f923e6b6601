// Blocked, packed, parallel GEMM driver (the Goto/BLIS scheme).
// C is cut into tiles of up to MC×NC; each tile is one parallel work item. Inside a tile, K is cut into
// KC blocks: op(A)'s block is packed into MR-row panels, op(B)'s into NR-column panels (zero-padded at the
// edges), and the micro-kernel runs over every panel pair. Because K blocking depends on K alone and tiles
// never split K, every element is computed with the same arithmetic whatever the tile size, thread count
// or kernel: results are bit-identical across thread counts and a row of C does not depend on M.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Tensors;

internal static unsafe class GemmDriver
{
    private const int MR = GemmKernels.MR;
    private const int NR = GemmKernels.NR;
    // K block: each C micro-tile takes one pass of the kernel per block, so a deeper block means fewer stores and
    // reloads of C and fewer kernel calls. 512 (a 64 KB B micro-panel, read from L2) measured up to 10 % faster than
    // 256 (a 32 KB one that fits L1) on the recurrent layers' large shapes here (input projections, dX, square) and
    // 1–3 % on their step shapes; 768 and 1,024 gained nothing more.
    internal const int KC = 512;
    private const int MC = 256;  // the packed A block (MC×KC, 512 KB) lives in L2
    private const int NC = 1024; // the packed B block (KC×NC, 1 MB) is shared through L2/L3
    private const long ParallelFlops = 1L << 20;

    [ThreadStatic] private static float* _packA;
    // What _packA holds: the call (a number no other call has), and the row tile and K block. A thread running two
    // column tiles of the same rows and block in one call packs op(A) once.
    [ThreadStatic] private static long _packAKey;
    [ThreadStatic] private static int _packAI0, _packAP0;
    private static long _calls;
    [ThreadStatic] private static float* _packB;
    [ThreadStatic] private static TileJob? _job;
    [ThreadStatic] private static PackedMatrix? _sharedB;
    private const long ScratchPackFloats = 1L << 20; // B is packed once per call in slabs of K rows of about this size (4 MB)

    public static void Run(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Run(kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc, default);

    /// <summary>C = α·op(A)·op(B) + 1·bias in every row: the bits of filling each row of C with the bias and then running with β = 1.</summary>
    public static void RunWithRowBias(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, Span<float> c, int ldc) =>
        Run(kernel, transA, transB, m, n, k, alpha, a, lda, b, ldb, null, 1f, c, ldc, bias);

    /// <summary>As <see cref="RunWithRowBias(GemmKernel, bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, int)"/> with op(B) already packed.</summary>
    public static void RunWithRowBias(GemmKernel kernel, bool transA, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, PackedMatrix packed, ReadOnlySpan<float> bias, Span<float> c, int ldc) =>
        Run(kernel, transA, false, m, n, k, alpha, a, lda, default, 0, packed, 1f, c, ldc, bias);

    /// <summary>
    /// As <see cref="RunWithRowBias(GemmKernel, bool, int, int, int, float, ReadOnlySpan{float}, int, PackedMatrix, ReadOnlySpan{float}, Span{float}, int)"/>
    /// with each row's own bias: row i of C starts from table[rows[i]·N …] (table [V, N]).
    /// </summary>
    public static void RunWithTableRows(GemmKernel kernel, bool transA, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, PackedMatrix packed, ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> c, int ldc) =>
        Run(kernel, transA, false, m, n, k, alpha, a, lda, default, 0, packed, 1f, c, ldc, table, rows);

    /// <summary>As above with op(B) already packed.</summary>
    public static void Run(GemmKernel kernel, bool transA, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, PackedMatrix packed, float beta, Span<float> c, int ldc) =>
        Run(kernel, transA, false, m, n, k, alpha, a, lda, default, 0, packed, beta, c, ldc, default);

    /// <summary>
    /// The driver. A non-empty <paramref name="rowBias"/> starts each row of C from a bias instead of β·C: the same
    /// [N] for every row, or, with <paramref name="biasRows"/>, row i from rowBias[biasRows[i]·N …].
    /// </summary>
    private static void Run(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, PackedMatrix? packed, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> rowBias, ReadOnlySpan<int> biasRows = default)
    {
        bool hasBias = !rowBias.IsEmpty, perRow = !biasRows.IsEmpty;
        if (k == 0 || alpha == 0f)
        {
            if (hasBias)
                for (int i = 0; i < m; i++) rowBias.Slice(perRow ? biasRows[i] * n : 0, n).CopyTo(c.Slice(i * ldc, n));
            else ScaleC(m, n, beta, c, ldc);
            return;
        }
        int mc = ChooseTileRows(transA, m, n, k);
        int nc = ChooseTileColumns(transA, m, n, k, mc);
        int tilesM = (m + mc - 1) / mc, tilesN = (n + nc - 1) / nc;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pBias = rowBias)
        fixed (int* pRows = biasRows)
        {
            TileJob job = _job ??= new TileJob();
            job.Set(kernel, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, mc, nc, tilesN, hasBias ? pBias : null, perRow ? pRows : null);
            job.Call = Interlocked.Increment(ref _calls);
            if (packed is null && tilesM >= 3)
            {
                // Several row tiles would each pack the same B: pack it once, in parallel, and share it. It is
                // packed a slab of K rows (whole KC blocks) at a time, every tile running over one slab before the
                // next is packed, so the scratch stays at a few MB whatever K is (a weight gradient's K is every
                // row of the batch). Each element of C still gets the same K blocks in the same order: the bits
                // are those of a single pass.
                int paddedN = RoundUp(n, NR);
                int slab = (int)Math.Min(RoundUp(k, KC), Math.Max(1, ScratchPackFloats / ((long)paddedN * KC)) * KC);
                PackedMatrix shared = _sharedB ??= PackedMatrix.CreateScratch();
                for (int k0 = 0; k0 < k; k0 += slab)
                {
                    int k1 = Math.Min(k, k0 + slab);
                    shared.Resize(k1 - k0, n);
                    shared.PackRows(transB, pb, ldb, k0);
                    job.SetPacked(shared.Data, paddedN, k0, k1);
                    Parallelism.For(job, tilesM * tilesN);
                }
            }
            else
            {
                job.SetPacked(packed is null ? null : packed.Data, packed?.PaddedN ?? 0, 0, k);
                Parallelism.For(job, tilesM * tilesN);
            }
            job.Clear();
        }
    }

    /// <summary>
    /// Rows of a C tile. Every column tile packs its own copy of op(A)'s rows, so when A is transposed (a weight
    /// gradient dW = dGᵀ·X, whose Aᵀ is the dearest operand to pack) the work is spread over the threads by cutting
    /// rows rather than columns: each block of A is then packed once (512×128×1,600, small-lstm's dW_hh, was
    /// cut into two row tiles × two column tiles, packing all of dG twice).
    /// </summary>
    private static int ChooseTileRows(bool transA, int m, int n, int k)
    {
        int mc = Math.Min(MC, RoundUp(m, MR));
        if (!transA || 2L * m * n * k < ParallelFlops || Parallelism.InsideJob) return mc;
        int threads = Parallelism.ThreadCount;
        while (mc > 4 * MR && (m + mc - 1) / mc < 2 * threads)
            mc = RoundUp(mc / 2, MR);
        return mc;
    }

    private static int ChooseTileColumns(bool transA, int m, int n, int k, int mc)
    {
        int nc = Math.Min(NC, RoundUp(n, NR));
        // With many K blocks the C tile is reloaded once per block: keep it to a quarter of the L2 (256 KB). When A
        // is transposed (a weight gradient's Aᵀ), A is the dearer operand to pack, so the tile may take half the L2:
        // with N ≤ 512 one tile column then covers N and each block of A is packed once instead of once per column.
        if (k > 2 * KC) nc = Math.Min(nc, Math.Max(2 * NR, RoundUp(MC * (transA ? 512 : 256) / mc, NR)));
        // A GEMM called from inside a work item (a recurrent pass split by rows, or one direction beside the other)
        // runs its tiles one after the other on one core: narrower tiles would only pack op(A) again for each.
        if (2L * m * n * k < ParallelFlops || Parallelism.InsideJob) return nc;
        int threads = Parallelism.ThreadCount;
        int tilesM = (m + mc - 1) / mc;
        // Narrow tiles until every thread gets at least two, so the last wave is not left to one core.
        while (nc > 2 * NR && tilesM * ((n + nc - 1) / nc) < 2 * threads)
            nc = RoundUp(nc / 2, NR);
        return nc;
    }

    private static void ScaleC(int m, int n, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else if (beta != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    private sealed class TileJob : IParallelJob
    {
        private GemmKernel _kernel;
        private bool _transA, _transB;
        private int _m, _n, _k, _lda, _ldb, _ldc, _mc, _nc, _tilesN;
        private float _alpha, _beta;
        private float* _a, _b, _c, _prepacked, _bias;
        private int* _biasRows;
        private int _paddedN, _k0, _k1;
        public long Call;

        /// <summary>Runs the K rows [k0, k1); <paramref name="prepacked"/> (if not null) holds them packed, from row k0.</summary>
        public void SetPacked(float* prepacked, int paddedN, int k0, int k1)
        {
            _prepacked = prepacked;
            _paddedN = paddedN;
            (_k0, _k1) = (k0, k1);
        }

        public void Set(GemmKernel kernel, bool transA, bool transB, int m, int n, int k, float alpha,
            float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int mc, int nc, int tilesN, float* bias, int* biasRows)
        {
            _bias = bias;
            _biasRows = biasRows;
            (_kernel, _transA, _transB, _m, _n, _k, _alpha, _beta) = (kernel, transA, transB, m, n, k, alpha, beta);
            (_lda, _ldb, _ldc, _mc, _nc, _tilesN) = (lda, ldb, ldc, mc, nc, tilesN);
            _a = a;
            _b = b;
            _c = c;
        }

        public void Clear()
        {
            _a = null;
            _b = null;
            _c = null;
            _prepacked = null;
            _bias = null;
            _biasRows = null;
        }

        /// <summary>The bias row, or the table row, that row <paramref name="row"/> of C starts from.</summary>
        private float* StartRow(int row) => _biasRows == null ? _bias : _bias + (long)_biasRows[row] * _n;

        public void Execute(int index)
        {
            int i0 = index / _tilesN * _mc, j0 = index % _tilesN * _nc;
            int mt = Math.Min(_mc, _m - i0), nt = Math.Min(_nc, _n - j0);
            EnsureBuffers();
            float* packA = _packA, packB = _packB;
            float** startRows = stackalloc float*[MR];
            for (int p0 = _k0; p0 < _k1; p0 += KC)
            {
                int kc = Math.Min(KC, _k1 - p0);
                float beta = p0 == 0 ? _beta : 1f;
                if (_packAKey != Call || _packAI0 != i0 || _packAP0 != p0)
                {
                    GemmPacking.PackA(_transA, _a, _lda, i0, mt, p0, kc, packA);
                    (_packAKey, _packAI0, _packAP0) = (Call, i0, p0);
                }
                float* bTile = packB;
                if (_prepacked != null) bTile = _prepacked + (long)(p0 - _k0) * _paddedN + (long)j0 * kc;
                else GemmPacking.PackB(_transB, _b, _ldb, p0, kc, j0, nt, packB);
                for (int jr = 0; jr < nt; jr += NR)
                {
                    float* bPanel = bTile + jr * kc;
                    int nr = Math.Min(NR, nt - jr);
                    for (int ir = 0; ir < mt; ir += MR)
                    {
                        int mr = Math.Min(MR, mt - ir);
                        float* cTile = _c + (long)(i0 + ir) * _ldc + j0 + jr;
                        float* aPanel = packA + ir * kc;
                        if (p0 == 0 && _bias != null)
                        {
                            // Each row of the first K block starts from its bias (or token-table) row, not from a pass
                            // of its own over all of C. The AVX-512 kernel reads that row in place of C's, which it then
                            // only writes: C's lines are neither read nor waited for, which pays where they are in cache
                            // (an inference pass reuses one step's gates). Other kernels and partial tiles get the rows
                            // copied into C first, while it is in L1. The same bits either way.
                            if (_kernel == GemmKernel.Avx512 && mr == MR && nr == NR)
                            {
                                for (int r = 0; r < MR; r++) startRows[r] = StartRow(i0 + ir + r) + j0 + jr;
                                GemmKernels.Kernel512From(kc, aPanel, bPanel, cTile, _ldc, _alpha, beta, startRows);
                                continue;
                            }
                            for (int r = 0; r < mr; r++)
                                new ReadOnlySpan<float>(StartRow(i0 + ir + r) + j0 + jr, nr).CopyTo(new Span<float>(cTile + (long)r * _ldc, nr));
                        }
                        if (mr == MR && nr == NR) Invoke(_kernel, kc, aPanel, bPanel, cTile, _ldc, _alpha, beta);
                        else EdgeTile(_kernel, kc, aPanel, bPanel, cTile, _ldc, mr, nr, _alpha, beta);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A partial tile runs the same kernel on a local MR×NR copy, so the arithmetic is unchanged. A narrow last panel
    /// runs only the columns it has: at most 8 wide (N = 100, 200, …) the tile's left quarter in ymm registers, at most
    /// 16 wide (N = 80, 300, …) its left half; the same bits with less of the padding computed.
    /// </summary>
    private static void EdgeTile(GemmKernel kernel, int kc, float* a, float* b, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        float* tile = stackalloc float[MR * NR];
        if (beta != 0f)
            for (int r = 0; r < mr; r++)
                for (int j = 0; j < nr; j++) tile[r * NR + j] = c[r * ldc + j];
        if (kernel != GemmKernel.Portable && GemmKernels.Avx2Supported && nr <= NR / 4) GemmKernels.Kernel256Quarter(kc, a, b, tile, NR, alpha, beta);
        else if (kernel == GemmKernel.Avx512 && nr <= NR / 2) GemmKernels.Kernel512Half(kc, a, b, tile, NR, alpha, beta);
        else if (kernel == GemmKernel.Avx2 && nr <= NR / 2) GemmKernels.Kernel256Half(kc, a, b, tile, NR, alpha, beta);
        else Invoke(kernel, kc, a, b, tile, NR, alpha, beta);
        for (int r = 0; r < mr; r++)
            new ReadOnlySpan<float>(tile + r * NR, nr).CopyTo(new Span<float>(c + (long)r * ldc, nr));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Invoke(GemmKernel kernel, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        switch (kernel)
        {
            case GemmKernel.Avx512: GemmKernels.Kernel512(kc, a, b, c, ldc, alpha, beta); break;
            case GemmKernel.Avx2: GemmKernels.Kernel256(kc, a, b, c, ldc, alpha, beta); break;
            default: GemmKernels.KernelScalar(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    private static void EnsureBuffers()
    {
        if (_packA != null) return;
        _packA = (float*)NativeMemory.AlignedAlloc((nuint)(MC * KC * sizeof(float)), 64);
        _packB = (float*)NativeMemory.AlignedAlloc((nuint)(KC * NC * sizeof(float)), 64);
    }
}
