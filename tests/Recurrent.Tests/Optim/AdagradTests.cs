using Recurrent.Optim;
using static Recurrent.Tests.Optim.OptimTestData;

namespace Recurrent.Tests.Optim;

public sealed class AdagradTests
{
    [Fact]
    public void Adagrad_LrDecayWeightDecayInitialAccumulator_TwoSteps_MatchHandComputedValues()
    {
        const float lr = 0.1f, lrDecay = 0.5f, wd = 0.05f, initial = 0.1f, eps = 1e-10f;
        var (after1, after2) = TwoSteps(p => new Adagrad(p, new AdagradOptions(lr, lrDecay, wd, initial, eps)));

        double[] theta = ToDouble(Theta0);
        double[][] grads = [ToDouble(Grad1), ToDouble(Grad2)];
        var expected = new double[2][];
        var sum = Enumerable.Repeat((double)initial, theta.Length).ToArray();
        for (int t = 1; t <= 2; t++)
        {
            double clr = lr / (1 + (t - 1) * lrDecay);
            for (int i = 0; i < theta.Length; i++)
            {
                double g = grads[t - 1][i] + wd * theta[i];
                sum[i] += g * g;
                theta[i] -= clr * g / (Math.Sqrt(sum[i]) + eps);
            }
            expected[t - 1] = (double[])theta.Clone();
        }
        AssertClose(expected[0], after1, "step 1");
        AssertClose(expected[1], after2, "step 2");
    }

    [Fact]
    public void Adagrad_StateExistsBeforeTheFirstStep_LikePyTorch()
    {
        var (_, named) = SingleParameter();
        var state = new Adagrad(named, new AdagradOptions(InitialAccumulatorValue: 0.25f)).SaveState();
        Assert.Equal(0f, state.Tensors["step.w"][0]);
        Assert.All(state.Tensors["sum.w"].Span.ToArray(), s => Assert.Equal(0.25f, s));
    }
}
