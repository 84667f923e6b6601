using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

public sealed class VectorKernelTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (int n = 0; n <= 256; n++) data.Add(n);
        return data;
    }

    private delegate void Unary(ReadOnlySpan<float> x, Span<float> y);
    private delegate void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    private static void CheckUnary(Unary fast, Unary reference, int n, float scale, double tol)
    {
        float[] x = TestData.Uniform(n, n, scale);
        float[] expected = new float[n], actual = new float[n];
        reference(x, expected);
        fast(x, actual);
        TestData.AssertClose(expected, actual, tol, tol, $"length {n}:");
    }

    private static void CheckBackward(Backward fast, Backward reference, Unary activation, int n)
    {
        float[] y = TestData.Uniform(n, n + 1, 3f), dy = TestData.Uniform(n, n + 2);
        activation(y, y);
        float[] expected = TestData.Uniform(n, n + 3), actual = (float[])expected.Clone();
        reference(y, dy, expected);
        fast(y, dy, actual);
        TestData.AssertClose(expected, actual, 1e-6, 1e-6, $"length {n}:");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Activations_EveryLength_MatchScalarReference(int n)
    {
        CheckUnary(Activations.Sigmoid, Activations.Reference.Sigmoid, n, 8f, 2e-6);
        CheckUnary(Activations.Tanh, Activations.Reference.Tanh, n, 8f, 2e-6);
        CheckUnary(Activations.Relu, Activations.Reference.Relu, n, 8f, 0);
        CheckBackward(Activations.SigmoidBackward, Activations.Reference.SigmoidBackward, Activations.Sigmoid, n);
        CheckBackward(Activations.TanhBackward, Activations.Reference.TanhBackward, Activations.Tanh, n);
        CheckBackward(Activations.ReluBackward, Activations.Reference.ReluBackward, Activations.Relu, n);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Softmax_EveryLength_MatchesScalarReference(int n)
    {
        const int rows = 3;
        float[] x = TestData.Uniform(rows * n, n, 20f);
        float[] expected = new float[rows * n], actual = new float[rows * n];
        Softmax.RowsReference(x, expected, rows, n);
        Softmax.Rows(x, actual, rows, n);
        TestData.AssertClose(expected, actual, 1e-6, 1e-5, $"softmax length {n}:");
        Softmax.LogRowsReference(x, expected, rows, n);
        Softmax.LogRows(x, actual, rows, n);
        TestData.AssertClose(expected, actual, 1e-5, 1e-6, $"log-softmax length {n}:");
    }

    [Fact]
    public void Softmax_RowsSumToOne_EvenForLargeLogits()
    {
        float[] x = TestData.Uniform(4 * 1000, 7, 500f);
        float[] y = new float[x.Length];
        Softmax.Rows(x, y, 4, 1000);
        for (int r = 0; r < 4; r++)
            Assert.InRange(y.AsSpan(r * 1000, 1000).ToArray().Sum(), 1f - 1e-5f, 1f + 1e-5f);
    }

    [Fact]
    public void Softmax_InPlace_EqualsOutOfPlace()
    {
        float[] x = TestData.Uniform(5 * 33, 3, 4f);
        float[] y = new float[x.Length];
        Softmax.LogRows(x, y, 5, 33);
        Softmax.LogRows(x, x, 5, 33);
        TestData.AssertBitIdentical(y, x);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void FastActivations_EveryLength_MatchDoublePrecision(int n)
    {
        float[] x = TestData.Uniform(n, n + 11, 12f);
        float[] y = new float[n];
        FastActivations.Exp(x, y);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] / Math.Exp(x[i]) - 1) < 3e-7, $"exp({x[i]}) = {y[i]}");
        FastActivations.Sigmoid(x, y);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - 1 / (1 + Math.Exp(-x[i]))) < 2e-7, $"sigmoid({x[i]}) = {y[i]}");
        FastActivations.Tanh(x, y);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - Math.Tanh(x[i])) < 2e-7, $"tanh({x[i]}) = {y[i]}");
    }

    [Fact]
    public void FastActivations_ExtremeInputs_StayFinite()
    {
        float[] x = [-1e30f, -100f, -88.5f, -20f, 0f, 20f, 88.5f, 100f, 1e30f];
        float[] y = new float[x.Length];
        FastActivations.Sigmoid(x, y);
        Assert.All(y, v => Assert.InRange(v, 0f, 1f));
        FastActivations.Tanh(x, y);
        Assert.All(y, v => Assert.InRange(v, -1f, 1f));
        Assert.Equal(-1f, y[0]);
        Assert.Equal(1f, y[^1]);
    }

    [Fact]
    public void FastActivations_ResultDoesNotDependOnPosition()
    {
        float[] x = TestData.Uniform(37, 5, 6f);
        float[] whole = new float[37];
        FastActivations.Tanh(x, whole);
        for (int i = 0; i < 37; i++)
        {
            float[] one = new float[1];
            FastActivations.Tanh(x.AsSpan(i, 1), one);
            Assert.Equal(whole[i], one[0]);
        }
    }
}
