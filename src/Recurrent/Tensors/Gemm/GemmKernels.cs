// GEMM micro-kernels: C[MR×NR] = α·Σ_p a[p]·b[p] + β·C over packed panels.
// Packed A panel: a[p·MR + r] (kc × MR); packed B panel: b[p·NR + c] (kc × NR).
// Every kernel accumulates each element in the same order with fused multiply-adds starting from 0,
// then applies α and β with a separate multiply and add, so all kernels give bit-identical results.
// β = 0 never reads C.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

internal static unsafe class GemmKernels
{
    public const int MR = 8;
    public const int NR = 32;

    public static bool Avx512Supported => Avx512F.IsSupported;
    public static bool Avx2Supported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>AVX-512: 8 rows × 2 zmm columns, 16 accumulators.</summary>
    public static void Kernel512(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta) =>
        Kernel512Tile(kc, a, b, c, ldc, alpha, beta, new RowsOfC(c, ldc));

    /// <summary>
    /// As <see cref="Kernel512"/> with the β term of row r read from <paramref name="from"/>[r] (32 floats) instead of
    /// C's row r, which is only written: C = α·A·B + β·From. The same arithmetic, so the same bits as copying the rows
    /// into C first; C's lines are not read, nor their copy waited for (a bias or a token table's rows, start values
    /// of a GEMM that writes C afresh).
    /// </summary>
    public static void Kernel512From(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, float** from) =>
        Kernel512Tile(kc, a, b, c, ldc, alpha, beta, new GivenRows(from));

    /// <summary>Where the β term of a tile row comes from.</summary>
    private interface IBetaRows
    {
        float* Row(int r);
    }

    private readonly struct RowsOfC(float* c, int ldc) : IBetaRows
    {
        public float* Row(int r) => c + (long)r * ldc;
    }

    private readonly struct GivenRows(float** rows) : IBetaRows
    {
        public float* Row(int r) => rows[r];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Tile<TRows>(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta, TRows from) where TRows : struct, IBetaRows
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> ar = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ar, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ar, b1, c01);
            ar = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(ar, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ar, b1, c11);
            ar = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(ar, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ar, b1, c21);
            ar = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(ar, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ar, b1, c31);
            ar = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(ar, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ar, b1, c41);
            ar = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(ar, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ar, b1, c51);
            ar = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(ar, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ar, b1, c61);
            ar = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(ar, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ar, b1, c71);
            a += MR;
            b += NR;
        }
        Store512(c, from.Row(0), alpha, beta, c00, c01); c += ldc;
        Store512(c, from.Row(1), alpha, beta, c10, c11); c += ldc;
        Store512(c, from.Row(2), alpha, beta, c20, c21); c += ldc;
        Store512(c, from.Row(3), alpha, beta, c30, c31); c += ldc;
        Store512(c, from.Row(4), alpha, beta, c40, c41); c += ldc;
        Store512(c, from.Row(5), alpha, beta, c50, c51); c += ldc;
        Store512(c, from.Row(6), alpha, beta, c60, c61); c += ldc;
        Store512(c, from.Row(7), alpha, beta, c70, c71);
    }

    /// <summary>
    /// AVX-512 for an edge panel at most 16 columns wide: the left half of the 8×32 tile (the packed B panel keeps its
    /// 32-float rows; the right half is padding). Each element gets the same arithmetic as in <see cref="Kernel512"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel512Half(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[1]), b0, c1);
            c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2]), b0, c2);
            c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3]), b0, c3);
            c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[4]), b0, c4);
            c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[5]), b0, c5);
            c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[6]), b0, c6);
            c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[7]), b0, c7);
            a += MR;
            b += NR;
        }
        Store512Half(c, alpha, beta, c0); c += ldc;
        Store512Half(c, alpha, beta, c1); c += ldc;
        Store512Half(c, alpha, beta, c2); c += ldc;
        Store512Half(c, alpha, beta, c3); c += ldc;
        Store512Half(c, alpha, beta, c4); c += ldc;
        Store512Half(c, alpha, beta, c5); c += ldc;
        Store512Half(c, alpha, beta, c6); c += ldc;
        Store512Half(c, alpha, beta, c7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512Half(float* c, float alpha, float beta, Vector512<float> v) => Store512Half(c, c, alpha, beta, v);

    /// <summary>c = α·v + β·from (from not read when β = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512Half(float* c, float* from, float alpha, float beta, Vector512<float> v)
    {
        v *= Vector512.Create(alpha);
        if (beta != 0f) v += Vector512.Create(beta) * Vector512.Load(from);
        v.Store(c);
    }

    /// <summary>A row of the 8×32 tile: its two halves stored as <see cref="Kernel512Half"/> stores one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, float* from, float alpha, float beta, Vector512<float> v0, Vector512<float> v1)
    {
        Store512Half(c, from, alpha, beta, v0);
        Store512Half(c + 16, from + 16, alpha, beta, v1);
    }

    /// <summary>
    /// AVX2/FMA for an edge panel at most 8 columns wide (the last of N = 100, 200, …): the 8×32 tile's left quarter,
    /// 8 ymm accumulators (the packed B panel keeps its 32-float rows). A quarter of the full kernel's multiply-adds,
    /// and on a core that splits 512-bit operations in two, half of <see cref="Kernel512Half"/>'s time. Each element
    /// gets the same arithmetic as in every other kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256Quarter(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            c0 = Fma.MultiplyAdd(Vector256.Create(a[0]), b0, c0);
            c1 = Fma.MultiplyAdd(Vector256.Create(a[1]), b0, c1);
            c2 = Fma.MultiplyAdd(Vector256.Create(a[2]), b0, c2);
            c3 = Fma.MultiplyAdd(Vector256.Create(a[3]), b0, c3);
            c4 = Fma.MultiplyAdd(Vector256.Create(a[4]), b0, c4);
            c5 = Fma.MultiplyAdd(Vector256.Create(a[5]), b0, c5);
            c6 = Fma.MultiplyAdd(Vector256.Create(a[6]), b0, c6);
            c7 = Fma.MultiplyAdd(Vector256.Create(a[7]), b0, c7);
            a += MR;
            b += NR;
        }
        Store256Quarter(c, alpha, beta, c0); c += ldc;
        Store256Quarter(c, alpha, beta, c1); c += ldc;
        Store256Quarter(c, alpha, beta, c2); c += ldc;
        Store256Quarter(c, alpha, beta, c3); c += ldc;
        Store256Quarter(c, alpha, beta, c4); c += ldc;
        Store256Quarter(c, alpha, beta, c5); c += ldc;
        Store256Quarter(c, alpha, beta, c6); c += ldc;
        Store256Quarter(c, alpha, beta, c7);
    }

    /// <summary>c = α·v + β·c for 8 floats (c not read when β = 0), as <see cref="Store256"/> stores each half-row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256Quarter(float* c, float alpha, float beta, Vector256<float> v)
    {
        v *= Vector256.Create(alpha);
        if (beta != 0f) v += Vector256.Create(beta) * Vector256.Load(c);
        v.Store(c);
    }

    /// <summary>AVX2/FMA for an edge panel at most 16 columns wide: the left half of <see cref="Kernel256"/>'s tile.</summary>
    public static void Kernel256Half(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Block256(kc, a, b, c, ldc, alpha, beta);
        Block256(kc, a + 4, b, c + 4 * ldc, ldc, alpha, beta);
    }

    /// <summary>AVX2/FMA: the 8×32 tile as four 4×16 blocks of 8 ymm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Kernel256(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        for (int r0 = 0; r0 < MR; r0 += 4)
            for (int c0 = 0; c0 < NR; c0 += 16)
                Block256(kc, a + r0, b + c0, c + r0 * ldc + c0, ldc, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block256(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> ar = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(ar, b0, c00); c01 = Fma.MultiplyAdd(ar, b1, c01);
            ar = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(ar, b0, c10); c11 = Fma.MultiplyAdd(ar, b1, c11);
            ar = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(ar, b0, c20); c21 = Fma.MultiplyAdd(ar, b1, c21);
            ar = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(ar, b0, c30); c31 = Fma.MultiplyAdd(ar, b1, c31);
            a += MR;
            b += NR;
        }
        Store256(c, alpha, beta, c00, c01); c += ldc;
        Store256(c, alpha, beta, c10, c11); c += ldc;
        Store256(c, alpha, beta, c20, c21); c += ldc;
        Store256(c, alpha, beta, c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, float alpha, float beta, Vector256<float> v0, Vector256<float> v1)
    {
        Vector256<float> va = Vector256.Create(alpha);
        v0 *= va;
        v1 *= va;
        if (beta != 0f)
        {
            Vector256<float> vb = Vector256.Create(beta);
            v0 += vb * Vector256.Load(c);
            v1 += vb * Vector256.Load(c + 8);
        }
        v0.Store(c);
        v1.Store(c + 8);
    }

    /// <summary>Scalar fused multiply-add; the same arithmetic as the vector kernels.</summary>
    public static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        for (int r = 0; r < MR; r++)
        {
            for (int j = 0; j < NR; j++)
            {
                float acc = 0f;
                for (int p = 0; p < kc; p++) acc = MathF.FusedMultiplyAdd(a[p * MR + r], b[p * NR + j], acc);
                float result = alpha * acc;
                if (beta != 0f) result += beta * c[r * ldc + j];
                c[r * ldc + j] = result;
            }
        }
    }
}
