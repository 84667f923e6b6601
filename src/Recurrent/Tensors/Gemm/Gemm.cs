// General matrix multiply C = α·op(A)·op(B) + β·C on row-major float32 matrices.
// Legend: M rows of op(A) and C, N columns of op(B) and C, K the shared dimension;
// lda/ldb/ldc are row strides (elements). op(X) is X or Xᵀ.
// The blocked driver (GemmDriver) is the fast path; Reference is the spec it is tested against.
// β = 0 means C is written without being read (NaN in C does not propagate), as in BLAS.
namespace Recurrent.Tensors;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>op(X) = X.</summary>
    No,
    /// <summary>op(X) = Xᵀ.</summary>
    Yes,
}

/// <summary>Which micro-kernel the blocked GEMM uses.</summary>
public enum GemmKernel
{
    /// <summary>The best the processor supports.</summary>
    Auto,
    /// <summary>AVX-512F.</summary>
    Avx512,
    /// <summary>AVX2 with FMA.</summary>
    Avx2,
    /// <summary>Scalar fused multiply-add; runs anywhere.</summary>
    Portable,
}

/// <summary>Matrix multiplication kernels.</summary>
public static class Gemm
{
    /// <summary>The micro-kernel in use. Every kernel gives bit-identical results.</summary>
    public static GemmKernel Kernel { get; set; } = GemmKernel.Auto;

    /// <summary>The micro-kernel that <see cref="GemmKernel.Auto"/> resolves to on this processor.</summary>
    public static GemmKernel BestKernel =>
        GemmKernels.Avx512Supported ? GemmKernel.Avx512 :
        GemmKernels.Avx2Supported ? GemmKernel.Avx2 : GemmKernel.Portable;

    /// <summary>
    /// C[M×N] = α·op(A)·op(B) + β·C, parallel over <see cref="Parallelism.ThreadCount"/> threads with results
    /// independent of the thread count.
    /// </summary>
    /// <param name="transA">Whether A is stored as [K×M] (transposed) rather than [M×K].</param>
    /// <param name="transB">Whether B is stored as [N×K] (transposed) rather than [K×N].</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">Inner dimension.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with row stride <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of A (≥ K, or ≥ M when transposed).</param>
    /// <param name="b">B, row-major with row stride <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of B (≥ N, or ≥ K when transposed).</param>
    /// <param name="beta">Scale of the existing C; 0 ignores C's contents.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/>. Must not overlap A or B.</param>
    /// <param name="ldc">Row stride of C (≥ N).</param>
    /// <exception cref="ArgumentException">A size or stride is negative, or a span is too short.</exception>
    public static void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        GemmDriver.Run(Resolve(Kernel), transA == Transpose.Yes, transB == Transpose.Yes, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// C[M×N] = α·op(A)·op(B) + 1·bias, the bias [N] added to every row and C's contents ignored. Gives the bits of
    /// copying the bias into each row of C and then calling <see cref="Multiply(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with β = 1, without that separate pass over C (the bias is written into each tile just before its first product).
    /// </summary>
    /// <exception cref="ArgumentException">A size or stride is negative, or a span (the bias: N elements) is too short.</exception>
    public static void MultiplyAddRowBias(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (bias.Length < n) throw new ArgumentException($"Gemm: the bias has {bias.Length} elements; C has {n} columns.", nameof(bias));
        if (m == 0 || n == 0) return;
        GemmDriver.RunWithRowBias(Resolve(Kernel), transA == Transpose.Yes, transB == Transpose.Yes, m, n, k, alpha, a, lda, b, ldb, bias[..n], c, ldc);
    }

    /// <summary>
    /// C[M×N] = α·op(A)·B + β·C with B packed beforehand (<see cref="PackedMatrix"/>); bit-identical to the
    /// unpacked call with the same operands.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree with the packed matrix, or a span is too short.</exception>
    public static void Multiply(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        Validate(transA, Transpose.No, m, b.N, b.K, a.Length, lda, b.K * b.N, Math.Max(1, b.N), c.Length, ldc);
        if (m == 0 || b.N == 0) return;
        GemmDriver.Run(Resolve(Kernel), transA == Transpose.Yes, m, b.N, b.K, alpha, a, lda, b, beta, c, ldc);
    }

    /// <summary>
    /// C[M×N] = α·op(A)·B + 1·bias with B packed beforehand: the bits of copying the bias into each row of C and then
    /// calling the packed <see cref="Multiply(Transpose, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/> with β = 1.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree with the packed matrix, or a span (the bias: N elements) is too short.</exception>
    public static void MultiplyAddRowBias(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        ReadOnlySpan<float> bias, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        Validate(transA, Transpose.No, m, b.N, b.K, a.Length, lda, b.K * b.N, Math.Max(1, b.N), c.Length, ldc);
        if (bias.Length < b.N) throw new ArgumentException($"Gemm: the bias has {bias.Length} elements; C has {b.N} columns.", nameof(bias));
        if (m == 0 || b.N == 0) return;
        GemmDriver.RunWithRowBias(Resolve(Kernel), transA == Transpose.Yes, m, b.N, b.K, alpha, a, lda, b, bias[..b.N], c, ldc);
    }

    /// <summary>
    /// C[M×N] = α·op(A)·B + table[rows[i]] in row i, B packed beforehand and table [V, N] (an embedding folded into a
    /// projection, say): the bits of copying each row's table row into C and then calling the packed
    /// <see cref="Multiply(Transpose, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/> with β = 1.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree with the packed matrix, a span is too short (rows: M ids), or an id is not a row of the table.</exception>
    public static void MultiplyAddTableRows(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        ReadOnlySpan<float> table, ReadOnlySpan<int> rows, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        Validate(transA, Transpose.No, m, b.N, b.K, a.Length, lda, b.K * b.N, Math.Max(1, b.N), c.Length, ldc);
        if (rows.Length < m) throw new ArgumentException($"Gemm: {rows.Length} table row ids for {m} rows of C.", nameof(rows));
        if (m == 0 || b.N == 0) return;
        long v = table.Length / b.N;
        foreach (int row in rows[..m])
            if ((uint)row >= v) throw new ArgumentException($"Gemm: table row id {row} is outside the table's {v} rows of {b.N}.", nameof(rows));
        GemmDriver.RunWithTableRows(Resolve(Kernel), transA == Transpose.Yes, m, b.N, b.K, alpha, a, lda, b, table, rows[..m], c, ldc);
    }

    /// <summary>C = α·op(A)·op(B) + β·C on 2-D tensors (shapes checked).</summary>
    public static void Multiply(Tensor a, Transpose transA, Tensor b, Transpose transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        if (a.Rank != 2 || b.Rank != 2 || c.Rank != 2)
            throw new ArgumentException($"Gemm.Multiply: tensors must be 2-D; got A{a.ShapeText}, B{b.ShapeText}, C{c.ShapeText}.");
        int m = transA == Transpose.Yes ? a.Dim(1) : a.Dim(0);
        int k = transA == Transpose.Yes ? a.Dim(0) : a.Dim(1);
        int kb = transB == Transpose.Yes ? b.Dim(1) : b.Dim(0);
        int n = transB == Transpose.Yes ? b.Dim(0) : b.Dim(1);
        if (k != kb || c.Dim(0) != m || c.Dim(1) != n)
            throw new ArgumentException($"Gemm.Multiply: op(A) is [{m}, {k}] and op(B) is [{kb}, {n}], so C must be [{m}, {n}] with matching inner sizes; got C{c.ShapeText}.");
        Multiply(transA, transB, m, n, k, alpha, a.Span, a.Dim(1), b.Span, b.Dim(1), beta, c.Span, c.Dim(1));
    }

    /// <summary>The plain triple loop that defines GEMM; the blocked driver is tested against it.</summary>
    public static void Reference(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = ta ? a[p * lda + i] : a[i * lda + p];
                    float bv = tb ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                float result = alpha * (float)sum;
                c[i * ldc + j] = beta == 0f ? result : result + beta * c[i * ldc + j];
            }
        }
    }

    internal static GemmKernel Resolve(GemmKernel kernel) => kernel switch
    {
        GemmKernel.Auto => BestKernel,
        GemmKernel.Avx512 when !GemmKernels.Avx512Supported => throw new PlatformNotSupportedException("Gemm: this processor has no AVX-512F; choose GemmKernel.Auto."),
        GemmKernel.Avx2 when !GemmKernels.Avx2Supported => throw new PlatformNotSupportedException("Gemm: this processor has no AVX2/FMA; choose GemmKernel.Auto."),
        _ => kernel,
    };

    private static void Validate(Transpose transA, Transpose transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm: sizes must be ≥ 0; got M={m}, N={n}, K={k}.");
        int aRows = transA == Transpose.Yes ? k : m, aCols = transA == Transpose.Yes ? m : k;
        int bRows = transB == Transpose.Yes ? n : k, bCols = transB == Transpose.Yes ? k : n;
        CheckOperand("A", aRows, aCols, aLength, lda);
        CheckOperand("B", bRows, bCols, bLength, ldb);
        CheckOperand("C", m, n, cLength, ldc);
    }

    private static void CheckOperand(string name, int rows, int cols, int length, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"Gemm: the row stride of {name} is {ld} but {name} has {cols} columns; pass a stride ≥ {Math.Max(1, cols)}.", "ld" + name.ToLowerInvariant());
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"Gemm: {name} is stored as {rows}×{cols} with stride {ld}, which needs {needed} elements, but its span has {length}.", name.ToLowerInvariant());
    }
}
