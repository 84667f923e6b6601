// op(B) packed once into the GEMM micro-kernel's panel layout, for a right-hand operand used many times:
// the recurrent weights in the time loop are multiplied T times per pass, so packing them per call would
// re-read the whole matrix every step. Layout: K blocks of KC rows; inside each, NR-column panels of
// kc × NR, zero-padded to a multiple of NR columns.
using System.Runtime.InteropServices;

namespace Recurrent.Tensors;

/// <summary>A GEMM right-hand operand packed for repeated use. Dispose to give its native buffer back.</summary>
public sealed unsafe class PackedMatrix : IDisposable
{
    // Buffers of disposed matrices, kept for the next Pack. A recurrent layer packs W_hh once per pass (megabytes
    // for a large layer) and disposes it at the end of the pass; handing such blocks back to the C allocator
    // every pass raises its threshold for serving large blocks from mapped pages, after which they come from
    // its heap, which grows with fragmentation (+60 MB over a few training steps of a 2×512 LSTM).
    private const int MaxFreeBuffers = 8;
    private const long MaxKeptFloats = 1L << 26; // 256 MB
    private static readonly object FreeLock = new();
    private static readonly List<(nint Data, long Capacity)> FreeBuffers = new();

    private float* _data;

    private long _capacity;

    private PackedMatrix(int k, int n) => Resize(k, n);

    /// <summary>Rows of op(B).</summary>
    public int K { get; private set; }

    /// <summary>Columns of op(B).</summary>
    public int N { get; private set; }

    internal int PaddedN { get; private set; }

    /// <summary>An empty scratch matrix for <see cref="GemmDriver"/> to pack into (sized by <see cref="Resize"/>).</summary>
    internal static PackedMatrix CreateScratch() => new(0, 0);

    /// <summary>Sets the shape, growing the buffer when needed (contents undefined until packed).</summary>
    internal void Resize(int k, int n)
    {
        K = k;
        N = n;
        PaddedN = (n + GemmKernels.NR - 1) / GemmKernels.NR * GemmKernels.NR;
        long needed = Math.Max(1L, (long)k * PaddedN);
        if (needed <= _capacity) return;
        if (_data != null) GiveBack(_data, _capacity);
        _data = TakeBuffer(needed, out _capacity);
    }

    /// <summary>The smallest kept buffer that holds <paramref name="needed"/> floats, or a new one.</summary>
    private static float* TakeBuffer(long needed, out long capacity)
    {
        lock (FreeLock)
        {
            int best = -1;
            for (int i = 0; i < FreeBuffers.Count; i++)
                if (FreeBuffers[i].Capacity >= needed && (best < 0 || FreeBuffers[i].Capacity < FreeBuffers[best].Capacity)) best = i;
            if (best >= 0)
            {
                var buffer = FreeBuffers[best];
                FreeBuffers.RemoveAt(best);
                capacity = buffer.Capacity;
                return (float*)buffer.Data;
            }
        }
        capacity = needed;
        return (float*)NativeMemory.AlignedAlloc((nuint)(needed * sizeof(float)), 64);
    }

    /// <summary>
    /// Keeps a buffer for a later Pack. Beyond eight buffers or 256 MB in all, the smallest kept ones are freed
    /// (the one just given back stays if it is the only one).
    /// </summary>
    private static void GiveBack(float* data, long capacity)
    {
        Span<nint> release = stackalloc nint[MaxFreeBuffers + 1];
        int released = 0;
        lock (FreeLock)
        {
            FreeBuffers.Add(((nint)data, capacity));
            long kept = 0;
            foreach (var b in FreeBuffers) kept += b.Capacity;
            while (FreeBuffers.Count > 1 && (FreeBuffers.Count > MaxFreeBuffers || kept > MaxKeptFloats))
            {
                int smallest = 0;
                for (int i = 1; i < FreeBuffers.Count; i++)
                    if (FreeBuffers[i].Capacity < FreeBuffers[smallest].Capacity) smallest = i;
                kept -= FreeBuffers[smallest].Capacity;
                release[released++] = FreeBuffers[smallest].Data;
                FreeBuffers.RemoveAt(smallest);
            }
        }
        foreach (nint p in release[..released]) NativeMemory.AlignedFree((void*)p);
    }

    /// <summary>Buffers kept for reuse (for tests).</summary>
    internal static int KeptBuffers { get { lock (FreeLock) return FreeBuffers.Count; } }

    internal float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(PackedMatrix));

    /// <summary>Packs op(B) [K×N]: B is [K, N] with row stride <paramref name="ldb"/>, or [N, K] when transposed.</summary>
    /// <exception cref="ArgumentException">Sizes negative or the span too short.</exception>
    public static PackedMatrix Pack(Transpose transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        var packed = new PackedMatrix(k, n);
        packed.Repack(transB, b, ldb);
        return packed;
    }

    /// <summary>Packs new values of the same shape (after an optimizer step) into the existing buffer.</summary>
    public void Repack(Transpose transB, ReadOnlySpan<float> b, int ldb)
    {
        int rows = transB == Transpose.Yes ? N : K, cols = transB == Transpose.Yes ? K : N;
        if (ldb < Math.Max(1, cols) || (rows > 0 && cols > 0 && b.Length < (long)(rows - 1) * ldb + cols))
            throw new ArgumentException($"PackedMatrix: B is {rows}×{cols} with stride {ldb}, which its span of {b.Length} elements cannot hold.", nameof(b));
        fixed (float* pb = b) PackRows(transB == Transpose.Yes, pb, ldb, 0);
    }

    /// <summary>
    /// Packs rows k0 … k0+K of op(B) into this matrix (already sized K×N), one work item per K block and 256
    /// columns, so both cores pack a large W_hh (2 MB of a 512-wide LSTM's) or a GEMM's shared B instead of one
    /// while the other waits; each item writes its own panels.
    /// </summary>
    internal void PackRows(bool transB, float* b, int ldb, int k0)
    {
        if (K == 0 || N == 0) return;
        PackJob job = _packJob ??= new PackJob();
        job.Set(transB, b, ldb, k0, this);
        int blocks = (K + GemmDriver.KC - 1) / GemmDriver.KC, chunks = (N + PackColumns - 1) / PackColumns;
        if ((long)K * N < ParallelElements)
            for (int i = 0; i < blocks * chunks; i++) job.Execute(i);
        else Parallelism.For(job, blocks * chunks);
        job.Set(false, null, 0, 0, null);
    }

    private const int PackColumns = 256;   // a multiple of the panel width NR
    private const long ParallelElements = 1L << 16;
    [ThreadStatic] private static PackJob? _packJob;

    private sealed class PackJob : IParallelJob
    {
        private bool _trans;
        private float* _b;
        private int _ldb, _k0;
        private PackedMatrix? _target;

        public void Set(bool trans, float* b, int ldb, int k0, PackedMatrix? target)
        {
            _b = b;
            (_trans, _ldb, _k0, _target) = (trans, ldb, k0, target);
        }

        public void Execute(int index)
        {
            PackedMatrix t = _target!;
            int chunks = (t.N + PackColumns - 1) / PackColumns;
            int p0 = index / chunks * GemmDriver.KC, j0 = index % chunks * PackColumns;
            int kc = Math.Min(GemmDriver.KC, t.K - p0), nt = Math.Min(PackColumns, t.N - j0);
            GemmPacking.PackB(_trans, _b, _ldb, _k0 + p0, kc, j0, nt, t.Data + (long)p0 * t.PaddedN + (long)j0 * kc);
        }
    }

    /// <summary>Gives the buffer back for reuse by a later <see cref="Pack"/>.</summary>
    public void Dispose()
    {
        if (_data != null) GiveBack(_data, _capacity);
        _data = null;
        _capacity = 0;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the buffer if Dispose was not called.</summary>
    ~PackedMatrix()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
    }
}
