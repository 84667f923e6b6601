// Batched matrix product, forward and backward together, as torch.bmm. Legend: Bt batch, N, K, M sizes.
//   Y[b] = A[b]·B[b]         A: [Bt, N, K], B: [Bt, K, M]  (or B stored [Bt, M, K] and used as B[b]ᵀ)
//   dA[b] += dY[b]·B[b]ᵀ,    dB[b] += A[b]ᵀ·dY[b]          (transposed B: dB[b] += dY[b]ᵀ·A[b])
// One GEMM per batch item (each GEMM is itself parallel). Backward accumulates (+=).
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Batched matrix product.</summary>
public static class BatchedMatMulOps
{
    /// <summary>Y[b] = A[b]·op(B[b]) for every batch item b.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="a">[Bt, N, K].</param>
    /// <param name="b">[Bt, K, M], or [Bt, M, K] when <paramref name="transposeB"/>.</param>
    /// <param name="transposeB">Use each B[b] transposed (attention scores Q·Kᵀ).</param>
    /// <returns>[Bt, N, M].</returns>
    /// <exception cref="ArgumentException">Not 3-D, or batch or inner sizes differ.</exception>
    public static Variable BatchedMatMul(this Tape tape, Variable a, Variable b, bool transposeB = false)
    {
        if (a.Value.Rank != 3 || b.Value.Rank != 3)
            throw new ArgumentException($"BatchedMatMul: A and B must be 3-D [Bt, N, K] and [Bt, K, M]; got A{a.Value.ShapeText} and B{b.Value.ShapeText}.");
        int batch = a.Value.Dim(0), n = a.Value.Dim(1), k = a.Value.Dim(2);
        int bk = transposeB ? b.Value.Dim(2) : b.Value.Dim(1), m = transposeB ? b.Value.Dim(1) : b.Value.Dim(2);
        if (b.Value.Dim(0) != batch || bk != k)
        {
            string expected = transposeB ? $"[{batch}, M, {k}]" : $"[{batch}, {k}, M]";
            throw new ArgumentException($"BatchedMatMul: A{a.Value.ShapeText} needs B of shape {expected}; got B{b.Value.ShapeText}.", nameof(b));
        }
        Variable y = tape.Result([batch, n, m], tape.NeedsGrad(a, b), clear: k == 0);
        var sizes = new Sizes(batch, n, k, m, transposeB);
        if (k > 0)
        {
            ReadOnlySpan<float> av = a.Value.Span, bv = b.Value.Span;
            Span<float> yv = y.Value.Span;
            for (int i = 0; i < batch; i++)
                Gemm.Multiply(Transpose.No, transposeB ? Transpose.Yes : Transpose.No, n, m, k, 1f,
                    av.Slice(i * n * k, n * k), k, bv.Slice(i * k * m, k * m), transposeB ? k : m, 0f, yv.Slice(i * n * m, n * m), m);
        }
        if (y.RequiresGrad) tape.Record(new BatchedMatMulNode(a, b, y, sizes));
        return y;
    }

    private readonly record struct Sizes(int Batch, int N, int K, int M, bool TransposeB);

    private sealed class BatchedMatMulNode(Variable a, Variable b, Variable y, Sizes s) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || s.N == 0 || s.K == 0 || s.M == 0) return;
            int aSize = s.N * s.K, bSize = s.K * s.M, ySize = s.N * s.M, ldb = s.TransposeB ? s.K : s.M;
            ReadOnlySpan<float> dY = gradY.Span, av = a.Value.Span, bv = b.Value.Span;
            for (int i = 0; i < s.Batch; i++)
            {
                ReadOnlySpan<float> dYi = dY.Slice(i * ySize, ySize);
                // Y[b] = A[b]·B[b]  →  dB[b] += A[b]ᵀ·dY[b]   (B stored transposed: dB[b] += dY[b]ᵀ·A[b])
                if (b.RequiresGrad)
                {
                    Span<float> dBi = b.EnsureGrad().Span.Slice(i * bSize, bSize);
                    if (s.TransposeB)
                        Gemm.Multiply(Transpose.Yes, Transpose.No, s.M, s.K, s.N, 1f, dYi, s.M, av.Slice(i * aSize, aSize), s.K, 1f, dBi, s.K);
                    else
                        Gemm.Multiply(Transpose.Yes, Transpose.No, s.K, s.M, s.N, 1f, av.Slice(i * aSize, aSize), s.K, dYi, s.M, 1f, dBi, s.M);
                }
                // Y[b] = A[b]·B[b]  →  dA[b] += dY[b]·B[b]ᵀ   (B stored transposed: dA[b] += dY[b]·B[b])
                if (a.RequiresGrad)
                    Gemm.Multiply(Transpose.No, s.TransposeB ? Transpose.No : Transpose.Yes, s.N, s.K, s.M, 1f,
                        dYi, s.M, bv.Slice(i * bSize, bSize), ldb, 1f, a.EnsureGrad().Span.Slice(i * aSize, aSize), s.K);
            }
        }
    }
}
