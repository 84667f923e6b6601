using Recurrent.Optim;
using static Recurrent.Tests.Optim.OptimTestData;

namespace Recurrent.Tests.Optim;

public sealed class SgdTests
{
    [Fact]
    public void Sgd_PlainWithWeightDecay_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.1f, wd = 0.01f;
        var (after1, after2) = TwoSteps(p => new Sgd(p, new SgdOptions(LearningRate: lr, WeightDecay: wd)));

        double[] theta = ToDouble(Theta0), g1 = ToDouble(Grad1), g2 = ToDouble(Grad2);
        var e1 = new double[theta.Length];
        var e2 = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            e1[i] = theta[i] - lr * (g1[i] + wd * theta[i]);
            e2[i] = e1[i] - lr * (g2[i] + wd * e1[i]);
        }
        AssertClose(e1, after1, "step 1");
        AssertClose(e2, after2, "step 2");
    }

    [Fact]
    public void Sgd_MomentumDampeningWeightDecay_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.05f, mu = 0.9f, tau = 0.25f, wd = 0.1f;
        var (after1, after2) = TwoSteps(p => new Sgd(p, new SgdOptions(lr, mu, tau, Nesterov: false, WeightDecay: wd)));

        double[] theta = ToDouble(Theta0), g1 = ToDouble(Grad1), g2 = ToDouble(Grad2);
        var e1 = new double[theta.Length];
        var e2 = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            double d1 = g1[i] + wd * theta[i];
            double b = d1; // the first step copies the gradient, without dampening
            e1[i] = theta[i] - lr * b;
            double d2 = g2[i] + wd * e1[i];
            b = mu * b + (1 - tau) * d2;
            e2[i] = e1[i] - lr * b;
        }
        AssertClose(e1, after1, "step 1");
        AssertClose(e2, after2, "step 2");
    }

    [Fact]
    public void Sgd_Nesterov_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.05f, mu = 0.8f, wd = 0.02f;
        var (after1, after2) = TwoSteps(p => new Sgd(p, new SgdOptions(lr, mu, 0, Nesterov: true, WeightDecay: wd)));

        double[] theta = ToDouble(Theta0), g1 = ToDouble(Grad1), g2 = ToDouble(Grad2);
        var e1 = new double[theta.Length];
        var e2 = new double[theta.Length];
        for (int i = 0; i < theta.Length; i++)
        {
            double d1 = g1[i] + wd * theta[i];
            double b = d1;
            e1[i] = theta[i] - lr * (d1 + mu * b);
            double d2 = g2[i] + wd * e1[i];
            b = mu * b + d2;
            e2[i] = e1[i] - lr * (d2 + mu * b);
        }
        AssertClose(e1, after1, "step 1");
        AssertClose(e2, after2, "step 2");
    }

    [Fact]
    public void Sgd_Step_DoesNotModifyTheGradient()
    {
        var (p, named) = SingleParameter();
        var sgd = new Sgd(named, new SgdOptions(Momentum: 0.9f, Nesterov: true, WeightDecay: 0.1f));
        SetGrad(p, Grad1);
        sgd.Step();
        Assert.Equal(Grad1, p.Grad!.Span.ToArray());
    }
}
