using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Recurrent.Tests.Nn;

namespace Recurrent.Tests.Tasks;

public sealed class StreamingDecoderTests
{
    [Theory]
    [InlineData(CellKind.RnnTanh, 1)]
    [InlineData(CellKind.RnnRelu, 2)]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.Gru, 2)]
    [InlineData(CellKind.GruOriginal, 1)]
    [InlineData(CellKind.Lstm, 3, 64)]
    [InlineData(CellKind.Lstm, 1, 256)]
    [InlineData(CellKind.RnnTanh, 2, 128)]
    [InlineData(CellKind.RnnRelu, 1, 72)]
    [InlineData(CellKind.Lstm, 2, 136)]
    [InlineData(CellKind.LayerNormLstm, 2)]
    [InlineData(CellKind.LayerNormLstm, 1, 64)]
    public void StreamingDecoder_MatchesTheFusedForwardPass(CellKind cell, int layers, int hidden = 150)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(40, cell, 12, hidden, layers, 0f), new Rng(4));
        LayerNormLstmTests.RandomizeNormalizations(network, 5);
        int[] tokens = [5, 9, 17, 39, 4, 4, 22, 30];
        using var tape = new Tape { Training = false };
        using var _ = tape.NoGrad();
        var (logits, _) = network.Forward(tape, tokens, tokens.Length, 1, null, null);
        var decoder = new StreamingDecoder(network);
        var row = new float[40];
        for (int t = 0; t < tokens.Length; t++)
        {
            decoder.Step(tokens[t], row);
            TestData.AssertClose(logits.Value.Span.Slice(t * 40, 40), row, 2e-5, 1e-4, $"{cell} step {t}:");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 0)]
    [InlineData(6, 20)]
    [InlineData(300, 513)]
    [InlineData(2048, 512)]
    public void Gemv_MatchesReference(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 1), x = TestData.Uniform(k, 2);
        float[] expected = TestData.Uniform(m, 3), actual = (float[])expected.Clone();
        Gemv.Reference(w, m, k, x, expected, accumulate: true);
        Gemv.Multiply(w, m, k, x, actual, accumulate: true);
        TestData.AssertClose(expected, actual, 1e-5 * (k + 1), 1e-5);
    }
}

public sealed class Bfloat16Tests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 0)]
    [InlineData(6, 20)]
    [InlineData(13, 15)]
    [InlineData(300, 513)]
    [InlineData(2048, 1024)]
    public void GemvPacked_HoldsEveryWeight_AndGivesThePlainLayoutsBits(int m, int k)
    {
        float[] w = TestData.Uniform(m * k, 7), x = TestData.Uniform(k, 8), packed = new float[m * k];
        Gemv.Pack(w, m, k, packed);
        for (int r = 0; r < m; r += Math.Max(1, m / 7))
            for (int c = 0; c < k; c++) Assert.Equal(w[r * k + c], Gemv.PackedAt(packed, m, k, r, c));
        float[] plain = TestData.Uniform(m, 9), fromPacked = (float[])plain.Clone(), expected = (float[])plain.Clone();
        Gemv.Reference(w, m, k, x, expected, accumulate: true);
        Gemv.Multiply(w, m, k, x, plain, accumulate: true);
        Gemv.MultiplyPacked(packed, m, k, x, fromPacked, accumulate: true);
        TestData.AssertClose(expected, fromPacked, 1e-5 * (k + 1), 1e-5);
        // With vectors every row gets the plain layout's arithmetic, in a group of eight, of four or alone.
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) TestData.AssertBitIdentical(plain, fromPacked, "packed against plain:");
    }

    [Fact]
    public void Round_IsNearestEven_AndExactOnRepresentableValues()
    {
        Assert.Equal(1f, GemvBf16.ToSingle(GemvBf16.Round(1f)));
        Assert.Equal(-2.5f, GemvBf16.ToSingle(GemvBf16.Round(-2.5f)));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even gives 1.
        Assert.Equal(1f, GemvBf16.ToSingle(GemvBf16.Round(1f + 1f / 256)));
        Assert.Equal(1f + 1f / 128, GemvBf16.ToSingle(GemvBf16.Round(1f + 3f / 512)));
        Assert.True(float.IsNaN(GemvBf16.ToSingle(GemvBf16.Round(float.NaN))));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(33, 47)]
    [InlineData(9, 70)]
    [InlineData(2048, 1024)]
    public void GemvBf16_MatchesReference(int m, int k)
    {
        ushort[] w = GemvBf16.FromSingle(TestData.Uniform(m * k, 1));
        float[] x = TestData.Uniform(k, 2);
        float[] expected = TestData.Uniform(m, 3), actual = (float[])expected.Clone();
        GemvBf16.Reference(w, m, k, x, expected, accumulate: true);
        GemvBf16.Multiply(w, m, k, x, actual, accumulate: true);
        TestData.AssertClose(expected, actual, 1e-5 * (k + 1), 1e-5);
    }

    [Theory]
    [InlineData(8, 32)]
    [InlineData(12, 70)]
    [InlineData(300, 513)]
    [InlineData(2048, 1024)]
    public void GemvBf16Packed_GivesEachRowThePlainLayoutsBits_WhenRowsComeInFours(int m, int k)
    {
        // Groups of eight and of four rows both give each row the arithmetic of the plain four-row product.
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) return;
        float[] single = TestData.Uniform(m * k, 4), x = TestData.Uniform(k, 5);
        float[] plain = TestData.Uniform(m, 6), packed = (float[])plain.Clone();
        GemvBf16.Multiply(GemvBf16.FromSingle(single), m, k, x, plain, accumulate: true);
        GemvBf16.MultiplyPacked(GemvBf16.Pack(single, m, k), m, k, x, packed, accumulate: true);
        TestData.AssertBitIdentical(plain, packed, "packed against plain:");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 32)]
    [InlineData(9, 70)]
    [InlineData(300, 513)]
    [InlineData(13, 64)]
    [InlineData(2048, 1024)]
    public void GemvBf16Packed_MatchesTheRowMajorProduct(int m, int k)
    {
        float[] single = TestData.Uniform(m * k, 1), x = TestData.Uniform(k, 2);
        ushort[] rowMajor = GemvBf16.FromSingle(single), packed = GemvBf16.Pack(single, m, k);
        for (int r = 0; r < m; r += Math.Max(1, m / 7))
            for (int c = 0; c < k; c++)
                Assert.Equal(GemvBf16.ToSingle(rowMajor[r * k + c]), GemvBf16.PackedAt(packed, m, k, r, c));
        float[] expected = TestData.Uniform(m, 3), actual = (float[])expected.Clone();
        GemvBf16.Reference(rowMajor, m, k, x, expected, accumulate: true);
        GemvBf16.MultiplyPacked(packed, m, k, x, actual, accumulate: true);
        TestData.AssertClose(expected, actual, 1e-5 * (k + 1), 1e-5);
    }

    [Theory]
    [InlineData(WeightPrecision.BFloat16, Recurrent.Nn.CellKind.Lstm)]
    [InlineData(WeightPrecision.Int8, Recurrent.Nn.CellKind.Lstm)]
    [InlineData(WeightPrecision.Int8, Recurrent.Nn.CellKind.Gru)]
    [InlineData(WeightPrecision.Int8, Recurrent.Nn.CellKind.GruOriginal)]
    [InlineData(WeightPrecision.Int8, Recurrent.Nn.CellKind.RnnTanh)]
    [InlineData(WeightPrecision.BFloat16, Recurrent.Nn.CellKind.LayerNormLstm)]
    [InlineData(WeightPrecision.Int8, Recurrent.Nn.CellKind.LayerNormLstm)]
    public void StreamingDecoder_ReducedPrecision_StaysCloseToFloat32(WeightPrecision precision, Recurrent.Nn.CellKind cell)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(40, cell, 12, 64, 2, 0f), new Recurrent.Tensors.Rng(4));
        LayerNormLstmTests.RandomizeNormalizations(network, 5);
        var full = new StreamingDecoder(network);
        var reduced = new StreamingDecoder(network, precision);
        float[] a = new float[40], b = new float[40];
        foreach (int token in new[] { 5, 9, 17, 39, 4 })
        {
            full.Step(token, a);
            reduced.Step(token, b);
            TestData.AssertClose(a, b, 0.02, 0.02);
            Assert.NotEqual(a, b);   // the weights really are rounded
        }
    }
}
