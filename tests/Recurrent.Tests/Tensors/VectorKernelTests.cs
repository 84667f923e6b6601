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
}
