using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public sealed class ColumnSumsTests
{
    [Theory]
    [InlineData(3, 5, 7)]
    [InlineData(300, 1000, 1100)]   // split into column chunks (256, 256, 256, 232)
    [InlineData(2048, 2048, 2048)]  // an LSTM layer's gate gradients over a 32 × 64 batch
    public void Sums_AreRowByRowInOrder_BitForBit_AtEveryThreadCount(int rows, int width, int stride)
    {
        float[] src = TestData.Uniform((rows - 1) * stride + width, 71);
        float[] start = TestData.Uniform(width, 72);
        float[] expected = (float[])start.Clone();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) expected[j] += src[r * stride + j];
        int before = Parallelism.ThreadCount;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.ThreadCount = threads;
                float[] actual = (float[])start.Clone();
                ColumnSums.AddTo(src, rows, width, stride, actual);
                TestData.AssertBitIdentical(expected, actual, $"{threads} threads:");
            }
        }
        finally { Parallelism.ThreadCount = before; }
    }

    [Theory]
    [InlineData(3, 5)]
    [InlineData(2048, 2048)]  // the gain gradient of a layer-normalised LSTM's gates over a 32 × 64 batch
    public void ProductSums_MatchTheDefinition_AndAreBitForBitAtEveryThreadCount(int rows, int width)
    {
        float[] a = TestData.Uniform(rows * width, 73), b = TestData.Uniform(rows * width, 74), start = TestData.Uniform(width, 75);
        var expected = new double[width];
        for (int j = 0; j < width; j++) expected[j] = start[j];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) expected[j] += (double)a[r * width + j] * b[r * width + j];
        int before = Parallelism.ThreadCount;
        float[]? first = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.ThreadCount = threads;
                float[] actual = (float[])start.Clone();
                ColumnSums.AddProductsTo(a, b, rows, width, actual);
                TestData.AssertClose(expected.Select(v => (float)v).ToArray(), actual, 1e-5 * rows, 1e-5, $"{threads} threads:");
                if (first is null) first = actual;
                else TestData.AssertBitIdentical(first, actual, $"{threads} threads:");
            }
        }
        finally { Parallelism.ThreadCount = before; }
    }

    [Fact]
    public void SpansTooShort_AreRejected() =>
        Assert.Throws<ArgumentException>(() => ColumnSums.AddTo(new float[10], 3, 4, 4, new float[4]));
}
