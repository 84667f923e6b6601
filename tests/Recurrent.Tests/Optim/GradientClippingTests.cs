using Recurrent.Autograd;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public sealed class GradientClippingTests
{
    private static Parameter WithGrad(params float[] grad)
    {
        var p = new Parameter(Tensor.Zeros(grad.Length));
        grad.CopyTo(p.EnsureGrad().Span);
        return p;
    }

    private static double Norm(IEnumerable<Parameter> parameters) =>
        Math.Sqrt(parameters.Where(p => p.Grad is not null).SelectMany(p => p.Grad!.Span.ToArray()).Sum(g => (double)g * g));

    [Fact]
    public void ClipByGlobalNorm_AboveLimit_ReturnsPreClipNormAndScalesToMaxNorm()
    {
        Parameter a = WithGrad(3f, 4f), b = WithGrad(12f), noGrad = new(Tensor.Zeros(3)); // norm √(9+16+144) = 13
        float[] aBefore = a.Grad!.Span.ToArray();

        float norm = GradientClipping.ClipByGlobalNorm([a, noGrad, b], 2f);

        Assert.Equal(13f, norm);
        Assert.Equal(2.0, Norm([a, b]), 5);
        Assert.Null(noGrad.Grad);
        double scale = 2.0 / (13.0 + 1e-6);
        for (int i = 0; i < aBefore.Length; i++) Assert.Equal(aBefore[i] * scale, a.Grad!.Span[i], 5);
    }

    [Fact]
    public void ClipByGlobalNorm_UnderLimit_LeavesGradientsUntouched()
    {
        Parameter a = WithGrad(0.3f, -0.4f), b = WithGrad(1.2f);
        float norm = GradientClipping.ClipByGlobalNorm([a, b], 5f);
        Assert.Equal(1.3f, norm, 6);
        Assert.Equal([0.3f, -0.4f], a.Grad!.Span.ToArray());
        Assert.Equal([1.2f], b.Grad!.Span.ToArray());
    }

    [Fact]
    public void ClipByGlobalNorm_NonFiniteNorm_IsReturnedAndGradientsAreLeftAlone()
    {
        Parameter a = WithGrad(1f, float.NaN), b = WithGrad(100f);
        Assert.True(float.IsNaN(GradientClipping.ClipByGlobalNorm([a, b], 1f)));
        Assert.Equal([100f], b.Grad!.Span.ToArray());

        Parameter c = WithGrad(float.PositiveInfinity, 2f);
        Assert.Equal(float.PositiveInfinity, GradientClipping.ClipByGlobalNorm([c], 1f));
        Assert.Equal(2f, c.Grad!.Span[1]);
    }

    [Fact]
    public void ClipByGlobalNorm_SumsInDouble()
    {
        // 10⁸ squared is 10¹⁶; the small gradients would vanish in a float sum of squares.
        Parameter big = WithGrad(1e8f), small = WithGrad([.. Enumerable.Repeat(1f, 1000)]);
        float norm = GradientClipping.ClipByGlobalNorm([big, small], float.MaxValue);
        Assert.Equal((float)Math.Sqrt(1e16 + 1000), norm);
    }

    [Fact]
    public void ClipByValue_ClampsEachElement()
    {
        Parameter a = WithGrad(-3f, -0.5f, 0.25f, 2f);
        GradientClipping.ClipByValue([a], 1f);
        Assert.Equal([-1f, -0.5f, 0.25f, 1f], a.Grad!.Span.ToArray());
    }

    [Fact]
    public void Clipping_NegativeLimit_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm([], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue([], -1f));
    }
}

public sealed class GradientNormSumTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(1003)]
    public void SumOfSquaresInDouble_MatchesTheElementwiseDoubleSum(int n)
    {
        var rng = new Random(n + 1);
        float[] g = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 3f).ToArray();
        double expected = g.Sum(v => (double)v * v);

        double actual = GradientClipping.SumOfSquaresInDouble(g);

        Assert.Equal(expected, actual, 1e-12 * Math.Max(1, expected));
    }
}
