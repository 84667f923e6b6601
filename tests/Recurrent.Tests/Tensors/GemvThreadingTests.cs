using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

/// <summary>The matrix-vector products split their rows by thread count; their results must not depend on it.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class GemvThreadingTests
{
    [Theory]
    [InlineData(2048, 512)]
    [InlineData(301, 130)]
    [InlineData(96, 512)]
    [InlineData(9, 5000)]
    public void Products_AreBitwiseTheSame_ForEveryThreadCount(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 11), x = TestData.Uniform(k, 12), y0 = TestData.Uniform(m, 13);
        ushort[] packed = GemvBf16.Pack(w, m, k);
        var packedSingle = new float[m * k];
        Gemv.Pack(w, m, k, packedSingle);
        var q = new sbyte[m * k];
        var scales = new float[m];
        var sums = new int[m];
        GemvInt8.Quantize(w, m, k, q, scales, sums);
        var packedInt8 = new sbyte[m * k];
        GemvInt8.Pack(q, m, k, packedInt8);
        int saved = Parallelism.ThreadCount;
        try
        {
            float[] Run(int threads)
            {
                Parallelism.ThreadCount = threads;
                float[] ys = (float[])y0.Clone(), yp = (float[])y0.Clone(), yh = (float[])y0.Clone(), yq = (float[])y0.Clone();
                Gemv.Multiply(w, m, k, x, ys, accumulate: true);
                Gemv.MultiplyPacked(packedSingle, m, k, x, yp, accumulate: true);
                GemvBf16.MultiplyPacked(packed, m, k, x, yh, accumulate: true);
                GemvInt8.Multiply(q, scales, sums, m, k, x, yq, accumulate: true);
                float[] yqp = (float[])y0.Clone();
                GemvInt8.MultiplyPacked(packedInt8, scales, sums, m, k, x, yqp, accumulate: true);
                TestData.AssertBitIdentical(yq, yqp, "int8 packed against row-major:");
                return [.. ys, .. yp, .. yh, .. yq, .. yqp];
            }
            float[] one = Run(1);
            foreach (int threads in new[] { 2, 3, 7 }) TestData.AssertBitIdentical(one, Run(threads), $"{threads} threads:");
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}

public sealed class AlignedArrayTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(4096)]
    public unsafe void Span_StartsOn64Bytes_IsZeroed_AndHoldsItsLength(int length)
    {
        for (int i = 0; i < 20; i++)    // several allocations, so several starting addresses of the pinned array
        {
            var floats = new AlignedArray<float>(length);
            var halves = new AlignedArray<ushort>(length);
            Assert.Equal(length, floats.Span.Length);
            Assert.Equal(length, halves.Span.Length);
            fixed (float* p = floats.Span)
                if (length > 0) Assert.Equal(0, (long)p % 64);
            fixed (ushort* p = halves.Span)
                if (length > 0) Assert.Equal(0, (long)p % 64);
            Assert.All(floats.Span.ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void CopyConstructor_KeepsTheValues_AndNegativeLengthThrows()
    {
        float[] values = TestData.Uniform(100, 5);
        Assert.Equal(values, new AlignedArray<float>(values).Span.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlignedArray<float>(-1));
    }
}

/// <summary>The streaming decoder splits its products by thread count; its logits must not depend on it.</summary>
[Collection(GlobalStateCollection.Name)]
public sealed class StreamingDecoderThreadingTests
{
    [Theory]
    [InlineData(WeightPrecision.Float32, 64)]
    [InlineData(WeightPrecision.BFloat16, 256)]
    [InlineData(WeightPrecision.Int8, 256)]
    [InlineData(WeightPrecision.Float32, 150)]
    public void Logits_AreBitwiseTheSame_ForEveryThreadCount(WeightPrecision precision, int hidden)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(40, CellKind.Lstm, 12, hidden, 2, 0f), new Rng(7));
        int saved = Parallelism.ThreadCount;
        try
        {
            float[] Run(int threads)
            {
                Parallelism.ThreadCount = threads;
                var decoder = new StreamingDecoder(network, precision);
                var logits = new float[7 * 40];
                int[] tokens = [5, 9, 17, 39, 4, 4, 22];
                for (int t = 0; t < tokens.Length; t++) decoder.Step(tokens[t], logits.AsSpan(t * 40, 40));
                return logits;
            }
            float[] one = Run(1);
            foreach (int threads in new[] { 2, 3, 5 }) TestData.AssertBitIdentical(one, Run(threads), $"{threads} threads:");
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}
