// op(B) packed once into the GEMM micro-kernel's panel layout, for a right-hand operand used many times:
// the recurrent weights in the time loop are multiplied T times per pass, so packing them per call would
// re-read the whole matrix every step. Layout: K blocks of KC rows; inside each, NR-column panels of
// kc × NR, zero-padded to a multiple of NR columns.
using System.Runtime.InteropServices;

namespace Recurrent.Tensors;

/// <summary>A GEMM right-hand operand packed for repeated use. Dispose to free its native buffer.</summary>
public sealed unsafe class PackedMatrix : IDisposable
{
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
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = (float*)NativeMemory.AlignedAlloc((nuint)(needed * sizeof(float)), 64);
        _capacity = needed;
    }

    /// <summary>Packs K block <paramref name="block"/> (rows block·KC …) of op(B); blocks are independent, so they can be packed in parallel.</summary>
    internal void PackBlock(bool transB, float* b, int ldb, int block)
    {
        int p0 = block * GemmDriver.KC, kc = Math.Min(GemmDriver.KC, K - p0);
        GemmPacking.PackB(transB, b, ldb, p0, kc, 0, N, Data + (long)p0 * PaddedN);
    }

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
        fixed (float* pb = b)
            for (int p0 = 0; p0 < K; p0 += GemmDriver.KC)
            {
                int kc = Math.Min(GemmDriver.KC, K - p0);
                GemmPacking.PackB(transB == Transpose.Yes, pb, ldb, p0, kc, 0, N, Data + (long)p0 * PaddedN);
            }
    }

    /// <summary>Frees the buffer.</summary>
    public void Dispose()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
        _data = null;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the buffer if Dispose was not called.</summary>
    ~PackedMatrix()
    {
        if (_data != null) NativeMemory.AlignedFree(_data);
    }
}
