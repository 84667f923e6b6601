// Shared fixtures for the optimizer tests: a small parameter with fixed values, two fixed gradients, and
// a comparison that prints index, expected and actual.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

internal static class OptimTestData
{
    public static readonly float[] Theta0 = [0.5f, -1.2f, 2.0f, 0.0f, 3.25f];
    public static readonly float[] Grad1 = [0.1f, -0.3f, 0.8f, -0.05f, 1.5f];
    public static readonly float[] Grad2 = [-0.2f, 0.4f, 0.6f, 0.01f, -0.02f];

    /// <summary>One parameter named "w" holding <see cref="Theta0"/>.</summary>
    public static (Parameter Parameter, NamedParameter[] Named) SingleParameter()
    {
        var p = new Parameter(Tensor.FromArray((float[])Theta0.Clone(), Theta0.Length));
        return (p, [new NamedParameter("w", p)]);
    }

    public static void SetGrad(Parameter p, float[] g) => g.CopyTo(p.EnsureGrad().Span);

    /// <summary>Runs two steps with <see cref="Grad1"/> then <see cref="Grad2"/> and returns θ after each.</summary>
    public static (float[] After1, float[] After2) TwoSteps(Func<NamedParameter[], Optimizer> create)
    {
        var (p, named) = SingleParameter();
        Optimizer optimizer = create(named);
        SetGrad(p, Grad1);
        optimizer.Step();
        float[] after1 = p.Value.Span.ToArray();
        SetGrad(p, Grad2);
        optimizer.Step();
        return (after1, p.Value.Span.ToArray());
    }

    public static double[] ToDouble(float[] x) => [.. x.Select(v => (double)v)];

    /// <summary>Asserts |expected − actual| ≤ 2e-6 + 2e-6·|expected| element-wise (float32 against double).</summary>
    public static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 2e-6 + 2e-6 * Math.Abs(expected[i]);
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}: index {i} expected {expected[i]:R} actual {actual[i]:R} (difference {expected[i] - actual[i]:E2})");
        }
    }
}
