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
        int saved = Parallelism.ThreadCount;
        float[]? single = null, half = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 7 })
            {
                Parallelism.ThreadCount = threads;
                float[] ys = (float[])y0.Clone(), yh = (float[])y0.Clone();
                Gemv.Multiply(w, m, k, x, ys, accumulate: true);
                GemvBf16.MultiplyPacked(packed, m, k, x, yh, accumulate: true);
                single ??= ys;
                half ??= yh;
                Assert.Equal(single, ys);
                Assert.Equal(half, yh);
            }
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
    [InlineData(Recurrent.Tasks.LanguageModel.WeightPrecision.Float32, 64)]
    [InlineData(Recurrent.Tasks.LanguageModel.WeightPrecision.BFloat16, 256)]
    [InlineData(Recurrent.Tasks.LanguageModel.WeightPrecision.Float32, 150)]
    public void Logits_AreBitwiseTheSame_ForEveryThreadCount(Recurrent.Tasks.LanguageModel.WeightPrecision precision, int hidden)
    {
        var network = new Recurrent.Tasks.LanguageModel.LanguageModelNetwork(
            new Recurrent.Tasks.LanguageModel.LanguageModelShape(40, Recurrent.Nn.CellKind.Lstm, 12, hidden, 2, 0f), new Rng(7));
        int saved = Parallelism.ThreadCount;
        float[]? first = null;
        try
        {
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                Parallelism.ThreadCount = threads;
                var decoder = new Recurrent.Tasks.LanguageModel.StreamingDecoder(network, precision);
                var logits = new List<float>();
                var row = new float[40];
                foreach (int token in new[] { 5, 9, 17, 39, 4, 4, 22 })
                {
                    decoder.Step(token, row);
                    logits.AddRange(row);
                }
                first ??= logits.ToArray();
                Assert.Equal(first, logits.ToArray());
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}
