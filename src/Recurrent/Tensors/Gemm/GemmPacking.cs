// Packing of GEMM operands into the micro-kernel's panel layouts.
// Packed A: MR-row panels, dst[panel][p·MR + r]; packed B: NR-column panels, dst[panel][p·NR + j]; both
// zero-padded past the matrix edge. Where the source runs the other way (A not transposed, B transposed)
// the copy is an 8×8 transpose in AVX registers, with a scalar path for edges and other processors.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

internal static unsafe class GemmPacking
{
    private const int MR = GemmKernels.MR;
    private const int NR = GemmKernels.NR;

    /// <summary>Packs op(A)[i0..i0+mt, p0..p0+kc] into MR-row panels.</summary>
    public static void PackA(bool trans, float* a, int lda, int i0, int mt, int p0, int kc, float* dst)
    {
        if (trans)
        {
            PackATransposed(a + (long)p0 * lda + i0, lda, mt, kc, dst);
            return;
        }
        for (int ir = 0; ir < mt; ir += MR)
        {
            int mr = Math.Min(MR, mt - ir);
            float* panel = dst + ir * kc;
            // op(A)(i, p) = a[i·lda + p]: rows of A become columns of the panel.
            TransposeInto(a + (long)(i0 + ir) * lda + p0, lda, mr, kc, panel, MR);
        }
    }

    /// <summary>
    /// Packs A[p, i] (A is [K, M], op(A) = Aᵀ) for p &lt; kc, i &lt; mt into MR-row panels. A row of A is read once,
    /// front to back, and dealt out to the panels, two rows at a time so that each store completes a 64-byte line of
    /// a panel. Reading a panel's column of A at a time instead touches kc lines lda floats apart, which for the
    /// power-of-two strides of gate gradients (lda = 4H) fall into the same few cache sets and come back from memory.
    /// </summary>
    private static void PackATransposed(float* a, int lda, int mt, int kc, float* dst)
    {
        int whole = mt / MR * MR, pairs = Vector512.IsHardwareAccelerated ? whole / (2 * MR) * (2 * MR) : 0;
        int p = 0;
        for (; p + 2 <= kc; p += 2)
        {
            float* s0 = a + (long)p * lda, s1 = s0 + lda;
            float* d = dst + p * MR;
            int ir = 0;
            for (; ir < pairs; ir += 2 * MR)
            {
                Vector512<float> x0 = Vector512.Load(s0 + ir), x1 = Vector512.Load(s1 + ir);
                float* d0 = d + ir * kc, d1 = d0 + MR * kc;
                x0.GetLower().Store(d0);
                x1.GetLower().Store(d0 + MR);
                x0.GetUpper().Store(d1);
                x1.GetUpper().Store(d1 + MR);
            }
            for (; ir < whole; ir += MR)
            {
                Vector256.Store(Vector256.Load(s0 + ir), d + ir * kc);
                Vector256.Store(Vector256.Load(s1 + ir), d + ir * kc + MR);
            }
            if (ir < mt)
            {
                CopyPadded(s0 + ir, mt - ir, d + ir * kc, MR);
                CopyPadded(s1 + ir, mt - ir, d + ir * kc + MR, MR);
            }
        }
        for (; p < kc; p++)
        {
            float* s0 = a + (long)p * lda;
            float* d = dst + p * MR;
            int ir = 0;
            for (; ir < whole; ir += MR) Vector256.Store(Vector256.Load(s0 + ir), d + ir * kc);
            if (ir < mt) CopyPadded(s0 + ir, mt - ir, d + ir * kc, MR);
        }
    }

    /// <summary>Packs op(B)[p0..p0+kc, j0..j0+nt] into NR-column panels.</summary>
    public static void PackB(bool trans, float* b, int ldb, int p0, int kc, int j0, int nt, float* dst)
    {
        for (int jr = 0; jr < nt; jr += NR)
        {
            int nr = Math.Min(NR, nt - jr);
            float* panel = dst + jr * kc;
            if (trans)
            {
                // B is [N, K]: op(B)(p, j) = b[j·ldb + p]; rows of B become columns of the panel.
                for (int j = 0; j < NR; j += 8)
                {
                    int width = Math.Clamp(nr - j, 0, 8);
                    TransposeInto(b + (long)(j0 + jr + j) * ldb + p0, ldb, width, kc, panel + j, NR);
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0 + jr;
                    float* d = panel + p * NR;
                    if (nr == NR && Vector512.IsHardwareAccelerated)
                    {
                        Vector512.Store(Vector512.Load(src), d);
                        Vector512.Store(Vector512.Load(src + 16), d + 16);
                    }
                    else CopyPadded(src, nr, d, NR);
                }
            }
        }
    }

    /// <summary>
    /// Writes the transpose of a rows×cols block (rows ≤ 8, row stride <paramref name="srcStride"/>) into
    /// dst[p·dstStride + r] for r &lt; 8, zero-filling rows ≥ <paramref name="rows"/>.
    /// </summary>
    private static void TransposeInto(float* src, int srcStride, int rows, int cols, float* dst, int dstStride)
    {
        int p = 0;
        if (rows == 8 && Avx.IsSupported)
            for (; p + 8 <= cols; p += 8) Transpose8x8(src + p, srcStride, dst + p * dstStride, dstStride);
        for (; p < cols; p++)
        {
            float* d = dst + p * dstStride;
            int r = 0;
            for (; r < rows; r++) d[r] = src[(long)r * srcStride + p];
            for (; r < 8; r++) d[r] = 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int srcStride, float* dst, int dstStride)
    {
        Vector256<float> r0 = Vector256.Load(src), r1 = Vector256.Load(src + srcStride);
        Vector256<float> r2 = Vector256.Load(src + 2L * srcStride), r3 = Vector256.Load(src + 3L * srcStride);
        Vector256<float> r4 = Vector256.Load(src + 4L * srcStride), r5 = Vector256.Load(src + 5L * srcStride);
        Vector256<float> r6 = Vector256.Load(src + 6L * srcStride), r7 = Vector256.Load(src + 7L * srcStride);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(dst);
        Avx.Permute2x128(u1, u5, 0x20).Store(dst + dstStride);
        Avx.Permute2x128(u2, u6, 0x20).Store(dst + 2 * dstStride);
        Avx.Permute2x128(u3, u7, 0x20).Store(dst + 3 * dstStride);
        Avx.Permute2x128(u0, u4, 0x31).Store(dst + 4 * dstStride);
        Avx.Permute2x128(u1, u5, 0x31).Store(dst + 5 * dstStride);
        Avx.Permute2x128(u2, u6, 0x31).Store(dst + 6 * dstStride);
        Avx.Permute2x128(u3, u7, 0x31).Store(dst + 7 * dstStride);
    }

    private static void CopyPadded(float* src, int count, float* dst, int width)
    {
        int i = 0;
        for (; i < count; i++) dst[i] = src[i];
        for (; i < width; i++) dst[i] = 0f;
    }
}
