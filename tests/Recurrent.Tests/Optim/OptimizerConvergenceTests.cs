using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public sealed class OptimizerConvergenceTests
{
    // f(θ) = ½ Σ aᵢ (θᵢ − cᵢ)², so ∂f/∂θᵢ = aᵢ (θᵢ − cᵢ) and the minimum is θ = c.
    private static readonly float[] Curvature = [1f, 2f, 0.5f, 4f];
    private static readonly float[] Minimum = [1f, -2f, 0.5f, 3f];

    [Theory]
    [MemberData(nameof(OptimizerFactories.Names), MemberType = typeof(OptimizerFactories))]
    public void Optimizer_SmallQuadratic_ReachesTheMinimum(string name)
    {
        var theta = new Parameter(Tensor.Zeros(Minimum.Length));
        var optimizer = OptimizerFactories.Create(name, [new NamedParameter("theta", theta)]);
        for (int step = 0; step < 1000; step++)
        {
            optimizer.ZeroGrad();
            Span<float> g = theta.EnsureGrad().Span, x = theta.Value.Span;
            for (int i = 0; i < g.Length; i++) g[i] += Curvature[i] * (x[i] - Minimum[i]);
            optimizer.Step();
        }
        Assert.Equal(1000, optimizer.StepCount);
        for (int i = 0; i < Minimum.Length; i++)
            Assert.True(Math.Abs(theta.Value[i] - Minimum[i]) < 0.02f, $"{name}: index {i} expected {Minimum[i]} actual {theta.Value[i]}");
    }

    [Theory]
    [MemberData(nameof(OptimizerFactories.Names), MemberType = typeof(OptimizerFactories))]
    public void Optimizer_StepsAfterTheFirst_AllocateNothing(string name)
    {
        var theta = new Parameter(Tensor.Zeros(64));
        var optimizer = OptimizerFactories.Create(name, [new NamedParameter("theta", theta)]);
        theta.EnsureGrad().Span.Fill(0.5f);
        optimizer.Step();
        optimizer.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int step = 0; step < 10; step++) optimizer.Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
