using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

public sealed class GemvInt8Tests
{
    private static (sbyte[] Q, float[] Scales, int[] Sums) Quantized(float[] w, int m, int k)
    {
        var q = new sbyte[m * k];
        var scales = new float[m];
        var sums = new int[m];
        GemvInt8.Quantize(w, m, k, q, scales, sums);
        return (q, scales, sums);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 31)]
    [InlineData(5, 32)]
    [InlineData(9, 70)]
    [InlineData(6, 64)]
    [InlineData(7, 130)]
    [InlineData(300, 513)]
    [InlineData(2048, 1024)]
    public void Multiply_IsBitwiseTheReference(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 1), x = TestData.Uniform(k, 2);
        var (q, scales, sums) = Quantized(w, m, k);
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = TestData.Uniform(m, 3), actual = (float[])expected.Clone();
            GemvInt8.Reference(q, scales, m, k, x, expected, accumulate);
            GemvInt8.Multiply(q, scales, sums, m, k, x, actual, accumulate);
            TestData.AssertBitIdentical(expected, actual, $"[{m}, {k}] accumulate={accumulate}:");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 31)]
    [InlineData(9, 70)]
    [InlineData(12, 64)]
    [InlineData(13, 130)]
    [InlineData(300, 513)]
    [InlineData(2048, 1024)]
    public void MultiplyPacked_HoldsEveryWeight_AndIsBitwiseTheReference(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 4), x = TestData.Uniform(k, 5);
        var (q, scales, sums) = Quantized(w, m, k);
        var packed = new sbyte[m * k];
        GemvInt8.Pack(q, m, k, packed);
        for (int r = 0; r < m; r++)
            for (int c = 0; c < k; c++) Assert.Equal(q[r * k + c], GemvInt8.PackedAt(packed, m, k, r, c));
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = TestData.Uniform(m, 6), actual = (float[])expected.Clone();
            GemvInt8.Reference(q, scales, m, k, x, expected, accumulate);
            GemvInt8.MultiplyPacked(packed, scales, sums, m, k, x, actual, accumulate);
            TestData.AssertBitIdentical(expected, actual, $"[{m}, {k}] accumulate={accumulate}:");
        }
    }

    [Theory]
    [InlineData(96, 512)]
    [InlineData(37, 1024)]
    public void Multiply_StaysWithinTheQuantizationBound_OfTheFloat32Product(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 4, 0.2f), x = TestData.Uniform(k, 5);
        var (q, scales, sums) = Quantized(w, m, k);
        float[] exact = new float[m], quantized = new float[m];
        Gemv.Reference(w, m, k, x, exact, accumulate: false);
        GemvInt8.Multiply(q, scales, sums, m, k, x, quantized, accumulate: false);
        float xMax = x.Max(MathF.Abs), xScale = xMax / GemvInt8.VectorLevels;
        double xSum = x.Sum(v => (double)Math.Abs(v));
        for (int i = 0; i < m; i++)
        {
            // |w − s·q| ≤ s/2 and |x − s_x·p| ≤ s_x/2, so the product is off by at most this (plus float rounding).
            double wSum = 0;
            for (int j = 0; j < k; j++) wSum += Math.Abs(w[i * k + j]) + scales[i] / 2;
            double bound = scales[i] / 2 * xSum + xScale / 2 * wSum + 1e-5;
            Assert.True(Math.Abs(exact[i] - quantized[i]) <= bound, $"row {i}: {quantized[i]} against {exact[i]}, bound {bound}");
        }
        // And it is a close approximation, not merely a bounded one.
        double worst = exact.Zip(quantized, (a, b) => Math.Abs(a - b)).Max(), typical = exact.Average(v => Math.Abs(v));
        Assert.True(worst < 0.05 * typical, $"worst error {worst} against a typical magnitude {typical}");
    }

    [Fact]
    public void Quantize_MapsEachRowsLargestMagnitudeTo127_AndZeroRowsToScaleZero()
    {
        float[] w = [0.6f, -1f, 0.2f, 0f, 0f, 0f, 3f, 1.2f, -0.9f];
        var (q, scales, sums) = Quantized(w, 3, 3);
        Assert.Equal(new sbyte[] { 76, -127, 25, 0, 0, 0, 127, 51, -38 }, q);   // 76.2, 25.4, 50.8 and −38.1 rounded
        Assert.Equal(new[] { 1f / 127, 0f, 3f / 127 }, scales);
        Assert.Equal(new[] { 76 - 127 + 25, 0, 127 + 51 - 38 }, sums);
        float[] y = [1f, 1f, 1f];
        GemvInt8.Multiply(q, scales, sums, 3, 3, [1f, 1f, 1f], y, accumulate: true);
        Assert.Equal(0f, y[1] - 1f);   // a zero row adds exactly nothing
        Assert.Throws<ArgumentException>(() => Quantized([1f, float.NaN], 1, 2));
        Assert.Throws<ArgumentException>(() => GemvInt8.Multiply(q, scales, sums, 3, 3, [1f, float.PositiveInfinity, 0f], y, accumulate: false));
        Assert.Throws<ArgumentException>(() => GemvInt8.Multiply(q, scales, sums, 3, 4, [1f, 1f, 1f, 1f], y, accumulate: false));
    }

    [Fact]
    public void ExtremeValues_StayExact_InTheIntegerSums()
    {
        // Every weight and element at its largest, of one sign: the pairwise byte products are at their largest
        // (2·127·127, which must not saturate int16) and the row's sum is k·127·63 before the offset comes off.
        const int k = 9000;
        float[] w = Enumerable.Repeat(1f, 2 * k).ToArray(), x = Enumerable.Repeat(1f, k).ToArray();
        w[k] = -1f;   // row 1: the largest magnitude negative, the rest positive
        var (q, scales, sums) = Quantized(w, 2, k);
        float[] y = new float[2];
        GemvInt8.Multiply(q, scales, sums, 2, k, x, y, accumulate: false);
        Assert.Equal(k, y[0], k * 1e-6);
        Assert.Equal(k - 2, y[1], k * 1e-6);
        float[] negative = x.Select(v => -v).ToArray();
        GemvInt8.Multiply(q, scales, sums, 2, k, negative, y, accumulate: false);
        Assert.Equal(-k, y[0], k * 1e-6);
    }
}
