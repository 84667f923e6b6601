namespace Recurrent.Tests;

/// <summary>Seeded random inputs for tests.</summary>
internal static class TestData
{
    public static float[] Uniform(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (random.NextSingle() * 2 - 1) * scale;
        return x;
    }

    public static double[] UniformDouble(int length, int seed, double scale = 1)
    {
        var random = new Random(seed);
        var x = new double[length];
        for (int i = 0; i < length; i++) x[i] = (random.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>Asserts |expected − actual| ≤ tolerance elementwise, naming the first failing index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absTolerance, double relTolerance = 0, string context = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            double tol = absTolerance + relTolerance * Math.Abs(expected[i]);
            if (!(diff <= tol) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
                Assert.Fail($"{context} index {i}: expected {expected[i]:R}, actual {actual[i]:R} (difference {diff:E3} > tolerance {tol:E3})");
        }
    }

    /// <summary>Asserts bit-identical spans, naming the first differing index.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{context} index {i}: expected {expected[i]:R}, actual {actual[i]:R} (not bit-identical)");
    }
}
