using Recurrent.Optim;
using static Recurrent.Tests.Optim.OptimTestData;

namespace Recurrent.Tests.Optim;

public sealed class AdamTests
{
    [Fact]
    public void Adam_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, wd = 0.05f;
        var (after1, after2) = TwoSteps(p => new Adam(p, new AdamOptions(lr, b1, b2, eps, wd)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        for (int t = 1; t <= 2; t++)
        {
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t - 1][i] + wd * theta[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            expected[t - 1] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }

    [Fact]
    public void Adam_Amsgrad_TwoSteps_MatchHandComputedValues()
    {
        // β₂ = 0.5 with a smaller second gradient makes v fall, so the running maximum matters.
        const float lr = 0.1f, b1 = 0.8f, b2 = 0.5f, eps = 1e-6f;
        var (after1, after2) = TwoSteps(p => new Adam(p, new AdamOptions(lr, b1, b2, eps, Amsgrad: true)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        var vMax = new double[theta.Length];
        for (int t = 1; t <= 2; t++)
        {
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t - 1][i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                vMax[i] = Math.Max(vMax[i], v[i]);
                double denominator = Math.Sqrt(vMax[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
                theta[i] -= lr / (1 - Math.Pow(b1, t)) * m[i] / denominator;
            }
            expected[t - 1] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }

    [Fact]
    public void AdamW_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.02f, b1 = 0.9f, b2 = 0.99f, eps = 1e-8f, wd = 0.1f;
        var (after1, after2) = TwoSteps(p => new AdamW(p, new AdamWOptions(lr, b1, b2, eps, wd)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        for (int t = 1; t <= 2; t++)
        {
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t - 1][i];
                theta[i] -= lr * wd * theta[i]; // decoupled decay, before the Adam update
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double vHat = v[i] / (1 - Math.Pow(b2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            expected[t - 1] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }

    [Fact]
    public void AdamW_Defaults_MatchPyTorch()
    {
        var o = new AdamWOptions();
        Assert.Equal((1e-3f, 0.9f, 0.999f, 1e-8f, 1e-2f, false), (o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, o.WeightDecay, o.Amsgrad));
        Assert.Equal(0f, new AdamOptions().WeightDecay);
    }
}

public sealed class AdamUpdateFusedTests
{
    // At step 1 the AMSGrad maximum of a zero buffer is v itself, so the pass-per-operation path (taken for
    // AMSGrad) and the fused one-pass path must agree bit for bit, across the vector body and the tail.
    [Theory]
    [InlineData(1, 1f)]
    [InlineData(16, 1f)]
    [InlineData(77, 1f)]
    [InlineData(77, 0.9997f)]        // AdamW's decay in the same pass
    [InlineData(100_003, 0.9997f)]   // chunks on every core, and a tail
    public void FusedStep_EqualsThePassPerOperationStep_BitForBit(int n, float shrink)
    {
        var rng = new Random(n);
        float[] Random(float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        float[] g = Random(1f), theta = Random(2f), m = Random(0.1f), v = Random(0.01f).Select(Math.Abs).ToArray();
        float[] theta2 = (float[])theta.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();

        AdamUpdate.Apply(g, m, v, [], theta, new float[n], 1, 0.003f, 0.9f, 0.999f, 1e-8f, amsgrad: false, shrink);
        AdamUpdate.Apply(g, m2, v2, new float[n], theta2, new float[n], 1, 0.003f, 0.9f, 0.999f, 1e-8f, amsgrad: true, shrink);

        Assert.Equal(m2, m);
        Assert.Equal(v2, v);
        Assert.Equal(theta2, theta);
    }
}
