using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public sealed class GemmTests
{
    private static readonly Transpose[] Both = [Transpose.No, Transpose.Yes];

    /// <summary>Runs one case through the blocked driver and the reference and compares them.</summary>
    private static void Check(int m, int n, int k, Transpose ta, Transpose tb, float alpha, float beta, int seed, int padA = 0, int padB = 0, int padC = 0)
    {
        int aCols = ta == Transpose.Yes ? m : k, aRows = ta == Transpose.Yes ? k : m;
        int bCols = tb == Transpose.Yes ? k : n, bRows = tb == Transpose.Yes ? n : k;
        int lda = aCols + padA, ldb = bCols + padB, ldc = n + padC;
        float[] a = TestData.Uniform(Math.Max(0, aRows * lda), seed);
        float[] b = TestData.Uniform(Math.Max(0, bRows * ldb), seed + 1);
        float[] c0 = TestData.Uniform(m * ldc, seed + 2);
        float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
        Gemm.Reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        Gemm.Multiply(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, actual, ldc);
        // Each product term is at most 1 in magnitude; float32 accumulation error grows with K.
        double tolerance = 1e-6 * (k + 4) * Math.Max(1, Math.Abs(alpha)) + 1e-6 * Math.Abs(beta);
        TestData.AssertClose(expected, actual, tolerance, 0, $"M={m} N={n} K={k} {ta}{tb} α={alpha} β={beta}:");
    }

    [Fact]
    public void Gemm_EverySize1To67InEachDimension_MatchesReference()
    {
        int seed = 0;
        foreach (var ta in Both)
            foreach (var tb in Both)
                for (int s = 1; s <= 67; s++)
                {
                    Check(s, 33, 7, ta, tb, 1f, 0f, seed++);
                    Check(9, s, 40, ta, tb, 1f, 1f, seed++);
                    Check(17, 5, s, ta, tb, 0.5f, -0.5f, seed++);
                }
    }

    [Theory]
    [InlineData(97, 131, 257)]
    [InlineData(263, 97, 131)]
    [InlineData(1, 1, 1)]
    [InlineData(1, 300, 513)]
    [InlineData(300, 1, 513)]
    [InlineData(129, 1031, 3)]
    public void Gemm_PrimeAndOddShapes_MatchReference(int m, int n, int k)
    {
        foreach (var ta in Both)
            foreach (var tb in Both)
            {
                Check(m, n, k, ta, tb, 1f, 0f, m + n + k);
                Check(m, n, k, ta, tb, -2f, 0.25f, m * 3 + k);
            }
    }

    [Fact]
    public void Gemm_TallSkinnyStepShape_MatchesReferenceForAllTransposes()
    {
        foreach (var ta in Both)
            foreach (var tb in Both)
                Check(64, 2048, 512, ta, tb, 1f, 1f, 11);
    }

    [Fact]
    public void Gemm_StridedOperands_MatchReference()
    {
        foreach (var ta in Both)
            foreach (var tb in Both)
                Check(37, 45, 29, ta, tb, 1.5f, 0.5f, 5, padA: 3, padB: 7, padC: 5);
    }

    [Fact]
    public void Gemm_BetaZero_IgnoresNaNInC()
    {
        float[] a = TestData.Uniform(20 * 30, 1), b = TestData.Uniform(30 * 40, 2);
        float[] c = Enumerable.Repeat(float.NaN, 20 * 40).ToArray();
        Gemm.Multiply(Transpose.No, Transpose.No, 20, 40, 30, 1f, a, 30, b, 40, 0f, c, 40);
        Assert.DoesNotContain(c, float.IsNaN);
    }

    [Fact]
    public void Gemm_KZero_ScalesCByBeta()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Multiply(Transpose.No, Transpose.No, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
    }

    [Fact]
    public void Gemm_OneAndTwoThreads_AreBitIdentical()
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            foreach (var (m, n, k) in new[] { (300, 700, 600), (64, 2048, 512), (513, 129, 1000) })
                foreach (var ta in Both)
                    foreach (var tb in Both)
                    {
                        float[] a = TestData.Uniform(m * k, 3), b = TestData.Uniform(k * n, 4);
                        float[] c1 = TestData.Uniform(m * n, 5), c2 = (float[])c1.Clone();
                        int lda = ta == Transpose.Yes ? m : k, ldb = tb == Transpose.Yes ? k : n;
                        Parallelism.ThreadCount = 1;
                        Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 1f, c1, n);
                        Parallelism.ThreadCount = 2;
                        Gemm.Multiply(ta, tb, m, n, k, 1f, a, lda, b, ldb, 1f, c2, n);
                        TestData.AssertBitIdentical(c1, c2, $"M={m} N={n} K={k} {ta}{tb}:");
                    }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }

    [Fact]
    public void Gemm_EveryKernel_IsBitIdenticalToTheBest()
    {
        var kernels = new List<GemmKernel> { GemmKernel.Portable };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) kernels.Add(GemmKernel.Avx2);
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) kernels.Add(GemmKernel.Avx512);
        const int m = 45, k = 300;
        try
        {
            // The last column panel is 4, 8, 9, 13, 16 and 17 wide: up to 8 columns both vector kernels take the
            // quarter-width one, up to 16 their half-width ones.
            foreach (int n in new[] { 100, 72, 73, 77, 80, 113 })
            {
                float[] a = TestData.Uniform(m * k, 8), b = TestData.Uniform(k * n, 9), c0 = TestData.Uniform(m * n, 10);
                float[]? first = null;
                foreach (GemmKernel kernel in kernels)
                {
                    Gemm.Kernel = kernel;
                    float[] c = (float[])c0.Clone();
                    Gemm.Multiply(Transpose.No, Transpose.Yes, m, n, k, 0.75f, a, k, b, k, 0.5f, c, n);
                    if (first is null) first = c;
                    else TestData.AssertBitIdentical(first, c, $"N={n}, kernel {kernel}:");
                }
            }
        }
        finally
        {
            Gemm.Kernel = GemmKernel.Auto;
        }
    }

    [Fact]
    public void Gemm_RowOfC_DoesNotDependOnM()
    {
        const int n = 300, k = 700;
        float[] a = TestData.Uniform(64 * k, 12), b = TestData.Uniform(k * n, 13);
        float[] big = new float[64 * n], one = new float[n];
        Gemm.Multiply(Transpose.No, Transpose.Yes, 64, n, k, 1f, a, k, b, k, 0f, big, n);
        Gemm.Multiply(Transpose.No, Transpose.Yes, 1, n, k, 1f, a.AsSpan(37 * k, k), k, b, k, 0f, one, n);
        TestData.AssertBitIdentical(big.AsSpan(37 * n, n), one);
    }

    [Fact]
    public void Gemm_ShortSpan_ThrowsWithSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(Transpose.No, Transpose.No, 4, 4, 4, 1f, new float[15], 4, new float[16], 4, 0f, new float[16], 4));
        Assert.Contains("needs 16 elements", e.Message);
    }

    [Fact]
    public void Gemm_TensorOverload_ChecksShapes()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(4, 5);
        using var c = Tensor.Zeros(2, 5);
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(a, Transpose.No, b, Transpose.No, c));
        Assert.Contains("[2, 3]", e.Message);
    }

    [Theory]
    [InlineData(64, 2048, 512)]
    [InlineData(7, 45, 300)]
    [InlineData(1, 33, 1)]
    [InlineData(800, 520, 2400)] // B packed once in two slabs of K rows (1,536 and 864): the same bits as one pass
    public void Gemm_PrepackedB_IsBitIdenticalToUnpacked(int m, int n, int k)
    {
        foreach (var ta in Both)
            foreach (var tb in Both)
            {
                float[] a = TestData.Uniform(m * k, 21), b = TestData.Uniform(k * n, 22);
                float[] c1 = TestData.Uniform(m * n, 23), c2 = (float[])c1.Clone();
                int lda = ta == Transpose.Yes ? m : k, ldb = tb == Transpose.Yes ? k : n;
                Gemm.Multiply(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1f, c1, n);
                using var packed = PackedMatrix.Pack(tb, k, n, b, ldb);
                Gemm.Multiply(ta, m, 0.5f, a, lda, packed, 1f, c2, n);
                TestData.AssertBitIdentical(c1, c2, $"{ta}{tb}:");
            }
    }

    [Fact]
    public void PackedMatrix_ReusesDisposedBuffers_WithoutStaleValues()
    {
        // A large matrix full of values, disposed: its buffer is kept and the next, smaller Pack may take it.
        float[] big = TestData.Uniform(300 * 200, 31);
        using (PackedMatrix.Pack(Transpose.No, 300, 200, big, 200)) { }
        const int m = 7, n = 45, k = 33; // n is not a whole number of panels: the padding must be rewritten
        float[] a = TestData.Uniform(m * k, 32), b = TestData.Uniform(k * n, 33);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        Gemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c1, n);
        using (var packed = PackedMatrix.Pack(Transpose.No, k, n, b, n))
            Gemm.Multiply(Transpose.No, m, 1f, a, k, packed, 0f, c2, n);
        TestData.AssertBitIdentical(c1, c2, "reused buffer:");
    }

    [Fact]
    public void PackedMatrix_KeepsABoundedNumberOfBuffers()
    {
        var matrices = new List<PackedMatrix>();
        for (int i = 1; i <= 20; i++)
        {
            float[] b = TestData.Uniform(i * 16 * 32, i);
            matrices.Add(PackedMatrix.Pack(Transpose.No, i * 16, 32, b, 32));
        }
        foreach (var p in matrices) p.Dispose();
        Assert.InRange(PackedMatrix.KeptBuffers, 1, 8);
    }

    [Theory]
    [InlineData(64, 2048, 512)]
    [InlineData(7, 45, 300)]
    [InlineData(800, 520, 2400)]
    [InlineData(5, 3, 0)]
    public void Gemm_AddRowBias_IsBitIdenticalToFillingCWithTheBiasFirst(int m, int n, int k)
    {
        foreach (var ta in Both)
            foreach (var tb in Both)
            {
                float[] a = TestData.Uniform(m * k, 41), b = TestData.Uniform(k * n, 42), bias = TestData.Uniform(n, 43);
                int lda = ta == Transpose.Yes ? m : k, ldb = tb == Transpose.Yes ? k : n;
                float[] expected = new float[m * n];
                for (int r = 0; r < m; r++) bias.CopyTo(expected.AsSpan(r * n, n));
                Gemm.Multiply(ta, tb, m, n, k, 0.5f, a, Math.Max(1, lda), b, Math.Max(1, ldb), 1f, expected, n);
                float[] actual = TestData.Uniform(m * n, 44); // stale contents must not matter
                Gemm.MultiplyAddRowBias(ta, tb, m, n, k, 0.5f, a, Math.Max(1, lda), b, Math.Max(1, ldb), bias, actual, n);
                TestData.AssertBitIdentical(expected, actual, $"{ta}{tb}:");
            }
    }

    [Theory]
    [InlineData(64, 1536, 512)]
    [InlineData(7, 45, 300)]
    [InlineData(5, 3, 0)]
    public void Gemm_AddRowBias_WithPackedB_IsBitIdenticalToFillingCWithTheBiasFirst(int m, int n, int k)
    {
        foreach (var ta in Both)
        {
            float[] a = TestData.Uniform(m * k, 51), b = TestData.Uniform(k * n, 52), bias = TestData.Uniform(n, 53);
            int lda = ta == Transpose.Yes ? m : k;
            using var packed = PackedMatrix.Pack(Transpose.No, k, n, b, n);
            float[] expected = new float[m * n];
            for (int r = 0; r < m; r++) bias.CopyTo(expected.AsSpan(r * n, n));
            Gemm.Multiply(ta, m, 0.5f, a, Math.Max(1, lda), packed, 1f, expected, n);
            float[] actual = TestData.Uniform(m * n, 54); // stale contents must not matter
            Gemm.MultiplyAddRowBias(ta, m, 0.5f, a, Math.Max(1, lda), packed, bias, actual, n);
            TestData.AssertBitIdentical(expected, actual, $"{ta}:");
        }
        using var small = PackedMatrix.Pack(Transpose.No, 4, 3, new float[12], 3);
        var e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyAddRowBias(Transpose.No, 2, 1f, new float[8], 4, small, new float[2], new float[6], 3));
        Assert.Contains("bias has 2 elements", e.Message);
    }

    [Theory]
    [InlineData(64, 2048, 512)]
    [InlineData(13, 100, 37)]
    [InlineData(1, 33, 600)]
    [InlineData(5, 3, 0)]
    public void Gemm_AddTableRows_IsBitIdenticalToGatheringTheRowsIntoCFirst(int m, int n, int k)
    {
        const int v = 7;
        foreach (var ta in Both)
        {
            float[] a = TestData.Uniform(m * k, 61), b = TestData.Uniform(k * n, 62), table = TestData.Uniform(v * n, 63);
            int[] rows = Enumerable.Range(0, m).Select(i => (i * 5 + 3) % v).ToArray();
            int lda = ta == Transpose.Yes ? m : k;
            using var packed = PackedMatrix.Pack(Transpose.No, k, n, b, n);
            float[] expected = new float[m * n];
            for (int r = 0; r < m; r++) table.AsSpan(rows[r] * n, n).CopyTo(expected.AsSpan(r * n, n));
            Gemm.Multiply(ta, m, 0.5f, a, Math.Max(1, lda), packed, 1f, expected, n);
            float[] actual = TestData.Uniform(m * n, 64); // stale contents must not matter
            Gemm.MultiplyAddTableRows(ta, m, 0.5f, a, Math.Max(1, lda), packed, table, rows, actual, n);
            TestData.AssertBitIdentical(expected, actual, $"{ta}:");
        }
    }

    [Fact]
    public void Gemm_AddTableRows_RowIdsOutsideTheTable_AreRejected()
    {
        using var packed = PackedMatrix.Pack(Transpose.No, 4, 3, new float[12], 3);
        var e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyAddTableRows(Transpose.No, 2, 1f, new float[8], 4, packed, new float[6], [0, 2], new float[6], 3));
        Assert.Contains("row id 2 is outside the table's 2 rows", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyAddTableRows(Transpose.No, 2, 1f, new float[8], 4, packed, new float[6], [0], new float[6], 3));
        Assert.Contains("1 table row ids for 2 rows", e.Message);
    }

    [Fact]
    public void Gemm_AddRowBias_ShortBias_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.MultiplyAddRowBias(Transpose.No, Transpose.No, 2, 3, 4, 1f, new float[8], 4, new float[12], 3, new float[2], new float[6], 3));
        Assert.Contains("bias", e.Message);
    }
}
