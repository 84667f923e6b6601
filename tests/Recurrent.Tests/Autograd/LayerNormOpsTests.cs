using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

public sealed class LayerNormOpsTests
{
    /// <summary>Layer normalisation of each row in double precision, from its definition: the specification.</summary>
    private static double[] Reference(float[] x, float[]? gain, float[]? bias, int n, double eps = 1e-5)
    {
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / n; r++)
        {
            double mu = 0, v = 0;
            for (int j = 0; j < n; j++) mu += x[r * n + j];
            mu /= n;
            for (int j = 0; j < n; j++) v += (x[r * n + j] - mu) * (x[r * n + j] - mu);
            v /= n;
            for (int j = 0; j < n; j++)
                y[r * n + j] = (x[r * n + j] - mu) / Math.Sqrt(v + eps) * (gain?[j] ?? 1.0) + (bias?[j] ?? 0.0);
        }
        return y;
    }

    [Fact]
    public void Forward_MatchesTheDefinitionInDoublePrecision()
    {
        Variable x = GradCheck.Leaf(1, 3f, 4, 5, 33);      // 33 columns: vector bodies and a tail
        Variable gain = GradCheck.Leaf(2, 1.5f, 33), bias = GradCheck.Leaf(3, 0.5f, 33);
        x.Value.Span[..33].Fill(0.25f);                      // a constant row: σ² = 0, y = β
        using var tape = new Tape();
        float[] y = tape.LayerNorm(x, gain, bias).Value.Span.ToArray();
        double[] expected = Reference(x.Value.Span.ToArray(), gain.Value.Span.ToArray(), bias.Value.Span.ToArray(), 33);
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) < 2e-5, $"element {i}: {y[i]} against {expected[i]}");
        for (int j = 0; j < 33; j++) Assert.Equal(bias.Value.Span[j], y[j], 5);
    }

    [Fact]
    public void WithoutAffine_EachRowHasMeanZeroAndUnitVariance()
    {
        Variable x = GradCheck.Leaf(4, 100f, 6, 50);
        using var tape = new Tape();
        ReadOnlySpan<float> y = tape.LayerNorm(x, null, null).Value.Span;
        for (int r = 0; r < 6; r++)
        {
            double mu = 0, v = 0;
            for (int j = 0; j < 50; j++) mu += y[r * 50 + j];
            mu /= 50;
            for (int j = 0; j < 50; j++) v += (y[r * 50 + j] - mu) * (y[r * 50 + j] - mu);
            Assert.True(Math.Abs(mu) < 1e-5 && Math.Abs(v / 50 - 1) < 1e-4, $"row {r}: mean {mu}, variance {v / 50}");
        }
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        Variable x = GradCheck.Leaf(5, 2f, 3, 4, 9);
        Variable gain = GradCheck.Leaf(6, 1.5f, 9), bias = GradCheck.Leaf(7, 1f, 9);
        GradCheck.Assert(t => t.LayerNorm(x, gain, bias), x, gain, bias);
        GradCheck.Assert(t => t.LayerNorm(x, null, null), x);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferencesOfTheDoubleReference()
    {
        // The analytic gradient of L = Σ w ⊙ y against central differences of the double-precision definition (ε 1e-6).
        int n = 17, rows = 3;
        Variable x = GradCheck.Leaf(8, 2f, rows, n);
        Variable gain = GradCheck.Leaf(9, 1.5f, n), bias = GradCheck.Leaf(10, 1f, n);
        var w = new float[rows * n];
        new Rng(11).FillUniform(w, -1f, 1f);
        using (var tape = new Tape())
        {
            Variable y = tape.LayerNorm(x, gain, bias);
            var seed = Tensor.Zeros(rows, n);
            w.CopyTo(seed.Span);
            tape.Backward(y, seed);
        }
        float[] xs = x.Value.Span.ToArray(), gs = gain.Value.Span.ToArray(), bs = bias.Value.Span.ToArray();
        double Loss(float[] xv, float[] gv, float[] bv)
        {
            double[] y = Reference(xv, gv, bv, n);
            double sum = 0;
            for (int i = 0; i < y.Length; i++) sum += w[i] * y[i];
            return sum;
        }
        void Check(float[] values, ReadOnlySpan<float> analytic, string name)
        {
            for (int i = 0; i < values.Length; i++)
            {
                float saved = values[i];
                const double h = 1e-3;
                values[i] = (float)(saved + h);
                double up = Loss(xs, gs, bs);
                values[i] = (float)(saved - h);
                double down = Loss(xs, gs, bs);
                values[i] = saved;
                double numeric = (up - down) / ((float)(saved + h) - (float)(saved - h));
                Assert.True(Math.Abs(numeric - analytic[i]) < 1e-4 + 1e-4 * Math.Abs(numeric), $"{name}[{i}]: numeric {numeric}, analytic {analytic[i]}");
            }
        }
        Check(xs, x.Grad!.Span, "dx");
        Check(gs, gain.Grad!.Span, "dγ");
        Check(bs, bias.Grad!.Span, "dβ");
    }

    [Fact]
    public void RowKernels_AgreeWithForwardAndBackward()
    {
        const int n = 37;
        float[] x = TestData.Uniform(n, 31, 3f), gain = TestData.Uniform(n, 32), dy = TestData.Uniform(n, 33);
        float[] y = new float[n], mean = new float[1], inv = new float[1];
        LayerNormRows.Forward(x, default, default, y, mean, inv, 1, n);
        float[] row = (float[])x.Clone();
        float r = LayerNormRows.NormalizeRow(row);
        Assert.Equal(inv[0], r, 6);
        TestData.AssertClose(y, row, 1e-6, 1e-6, "x̂:");
        float[] dx = new float[n], work = new float[2 * n];
        LayerNormRows.Backward(dy, x, gain, mean, inv, dx, default, default, work, 1, n);
        float[] dxRow = new float[n];
        LayerNormRows.BackwardRow(dy, gain, row, r, dxRow, work);
        TestData.AssertClose(dx, dxRow, 1e-5, 1e-5, "dx:");
        LayerNormRows.BackwardRow(dy, gain, row, r, row, work);   // in place over x̂
        TestData.AssertClose(dx, row, 1e-5, 1e-5, "dx in place:");
    }

    [Fact]
    public void BadShapes_AreClearErrors()
    {
        Variable x = GradCheck.Leaf(12, 1f, 2, 5);
        using var tape = new Tape();
        var wrongGain = Assert.Throws<ArgumentException>(() => tape.LayerNorm(x, GradCheck.Leaf(13, 1f, 4), null));
        Assert.Contains("[5]", wrongGain.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.LayerNorm(x, null, null, 0f));
        var module = new LayerNorm(6);
        var wrongInput = Assert.Throws<ArgumentException>(() => module.Forward(tape, x));
        Assert.Contains("LayerNorm(6)", wrongInput.Message);
    }

    [Fact]
    public void Module_StartsAsTheIdentityNormalisation_WithPyTorchsNames()
    {
        var module = new LayerNorm(5);
        var named = new List<NamedParameter>();
        module.CollectParameters("norm.", named);
        Assert.Equal(["norm.weight", "norm.bias"], named.Select(p => p.Name));
        Assert.All(module.Weight!.Value.Span.ToArray(), g => Assert.Equal(1f, g));
        Assert.All(module.Bias!.Value.Span.ToArray(), b => Assert.Equal(0f, b));
        Variable x = GradCheck.Leaf(14, 2f, 3, 5);
        using var tape = new Tape();
        float[] y = module.Forward(tape, x).Value.Span.ToArray();
        double[] expected = Reference(x.Value.Span.ToArray(), null, null, 5);
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 5);
        var none = new List<NamedParameter>();
        new LayerNorm(5, affine: false).CollectParameters("", none);
        Assert.Empty(none);
    }
}
