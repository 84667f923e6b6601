using Recurrent.Optim;
using static Recurrent.Tests.Optim.OptimTestData;

namespace Recurrent.Tests.Optim;

public sealed class RmsPropTests
{
    [Fact]
    public void RmsProp_Plain_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.01f, alpha = 0.9f, eps = 1e-8f;
        var (after1, after2) = TwoSteps(p => new RmsProp(p, new RmsPropOptions(lr, alpha, eps)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var v = new double[theta.Length];
        for (int t = 0; t < 2; t++)
        {
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t][i];
                v[i] = alpha * v[i] + (1 - alpha) * g * g;
                theta[i] -= lr * g / (Math.Sqrt(v[i]) + eps);
            }
            expected[t] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }

    [Fact]
    public void RmsProp_CenteredWithMomentumAndWeightDecay_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.01f, alpha = 0.8f, eps = 1e-6f, wd = 0.1f, mu = 0.5f;
        var (after1, after2) = TwoSteps(p => new RmsProp(p, new RmsPropOptions(lr, alpha, eps, wd, mu, Centered: true)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var v = new double[theta.Length];
        var gAvg = new double[theta.Length];
        var b = new double[theta.Length];
        for (int t = 0; t < 2; t++)
        {
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t][i] + wd * theta[i];
                v[i] = alpha * v[i] + (1 - alpha) * g * g;
                gAvg[i] = alpha * gAvg[i] + (1 - alpha) * g;
                double d = Math.Sqrt(v[i] - gAvg[i] * gAvg[i]) + eps;
                b[i] = mu * b[i] + g / d;
                theta[i] -= lr * b[i];
            }
            expected[t] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }
}
