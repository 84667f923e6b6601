// Matrix product and affine map, forward and backward together.
//   MatMul:  Y[N, M] = A[N, K] · B[K, M]          (or · Bᵀ with B stored [M, K])
//   Linear:  Y[N, O] = X[N, I] · Wᵀ + b,  W [O, I], b [O]  (PyTorch's nn.Linear layout)
// Inputs of rank > 2 are treated as [rows, last dim]: Linear on [T, B, I] gives [T, B, O].
// Backward (accumulating):  dA += dY·Bᵀ, dB += Aᵀ·dY;  dX += dY·W, dW += dYᵀ·X, db += Σ_rows dY.
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Matrix-product ops.</summary>
public static class LinearOps
{
    /// <summary>Y = A·op(B). A: [N, K] (or any rank, flattened to rows of K); B: [K, M], or [M, K] when <paramref name="transposeB"/>.</summary>
    public static Variable MatMul(this Tape tape, Variable a, Variable b, bool transposeB = false)
    {
        int k = a.Value.Dim(-1), rows = a.Value.Length / Math.Max(1, k);
        if (b.Value.Rank != 2 || (transposeB ? b.Value.Dim(1) : b.Value.Dim(0)) != k)
            throw new ArgumentException($"MatMul: A{a.Value.ShapeText} needs B with {k} {(transposeB ? "columns" : "rows")} (2-D); got B{b.Value.ShapeText}.");
        int m = transposeB ? b.Value.Dim(0) : b.Value.Dim(1);
        int[] shape = a.Value.Shape.ToArray();
        shape[^1] = m;
        Variable y = tape.Result(shape, tape.NeedsGrad(a, b), clear: false);
        Gemm.Multiply(Transpose.No, transposeB ? Transpose.Yes : Transpose.No, rows, m, k, 1f,
            a.Value.Span, k, b.Value.Span, b.Value.Dim(1), 0f, y.Value.Span, m);
        if (y.RequiresGrad) tape.Record(new MatMulNode(a, b, y, transposeB, rows, k, m));
        return y;
    }

    /// <summary>Y = X·Wᵀ + b. X: [..., I]; W: [O, I]; b: [O] or null.</summary>
    public static Variable Linear(this Tape tape, Variable x, Variable weight, Variable? bias)
    {
        int inFeatures = x.Value.Dim(-1), rows = x.Value.Length / Math.Max(1, inFeatures);
        if (weight.Value.Rank != 2 || weight.Value.Dim(1) != inFeatures)
            throw new ArgumentException($"Linear: input X{x.Value.ShapeText} has {inFeatures} features, so the weight must be [out, {inFeatures}]; got {weight.Value.ShapeText}.");
        int outFeatures = weight.Value.Dim(0);
        if (bias is not null && (bias.Value.Rank != 1 || bias.Value.Dim(0) != outFeatures))
            throw new ArgumentException($"Linear: the bias must be [{outFeatures}]; got {bias.Value.ShapeText}.");
        int[] shape = x.Value.Shape.ToArray();
        shape[^1] = outFeatures;
        Variable y = tape.Result(shape, tape.NeedsGrad([x, weight, bias]), clear: false);
        Span<float> ys = y.Value.Span;
        if (bias is not null)
            Gemm.MultiplyAddRowBias(Transpose.No, Transpose.Yes, rows, outFeatures, inFeatures, 1f,
                x.Value.Span, inFeatures, weight.Value.Span, inFeatures, bias.Value.Span, ys, outFeatures);
        else
            Gemm.Multiply(Transpose.No, Transpose.Yes, rows, outFeatures, inFeatures, 1f,
                x.Value.Span, inFeatures, weight.Value.Span, inFeatures, 0f, ys, outFeatures);
        if (y.RequiresGrad) tape.Record(new LinearNode(x, weight, bias, y, rows, inFeatures, outFeatures));
        return y;
    }

    private sealed class MatMulNode(Variable a, Variable b, Variable y, bool transposeB, int rows, int k, int m) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null) return; // the result never reached the loss
            ReadOnlySpan<float> dY = y.Grad.Span;
            int ldb = b.Value.Dim(1);
            // Y = A·B  →  dA += dY·Bᵀ   (with B stored transposed: dA += dY·B)
            if (a.RequiresGrad)
                Gemm.Multiply(Transpose.No, transposeB ? Transpose.No : Transpose.Yes, rows, k, m, 1f,
                    dY, m, b.Value.Span, ldb, 1f, a.EnsureGrad().Span, k);
            // Y = A·B  →  dB += Aᵀ·dY   (with B stored transposed: dBᵀ += dYᵀ·A)
            if (b.RequiresGrad)
            {
                if (transposeB)
                    Gemm.Multiply(Transpose.Yes, Transpose.No, m, k, rows, 1f, dY, m, a.Value.Span, k, 1f, b.EnsureGrad().Span, k);
                else
                    Gemm.Multiply(Transpose.Yes, Transpose.No, k, m, rows, 1f, a.Value.Span, k, dY, m, 1f, b.EnsureGrad().Span, m);
            }
        }
    }

    private sealed class LinearNode(Variable x, Variable weight, Variable? bias, Variable y, int rows, int inFeatures, int outFeatures) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is null) return; // the result never reached the loss
            ReadOnlySpan<float> dY = y.Grad.Span;
            // Y = X·Wᵀ + b  →  db += Σ_rows dY
            if (bias is { RequiresGrad: true })
                ColumnSums.AddTo(dY, rows, outFeatures, outFeatures, bias.EnsureGrad().Span);
            // Y = X·Wᵀ  →  dW += dYᵀ·X
            if (weight.RequiresGrad)
                Gemm.Multiply(Transpose.Yes, Transpose.No, outFeatures, inFeatures, rows, 1f,
                    dY, outFeatures, x.Value.Span, inFeatures, 1f, weight.EnsureGrad().Span, inFeatures);
            // Y = X·Wᵀ  →  dX += dY·W
            if (x.RequiresGrad)
                Gemm.Multiply(Transpose.No, Transpose.No, rows, inFeatures, outFeatures, 1f,
                    dY, outFeatures, weight.Value.Span, inFeatures, 1f, x.EnsureGrad().Span, inFeatures);
        }
    }
}
