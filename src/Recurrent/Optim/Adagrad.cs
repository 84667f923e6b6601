// Adagrad (Duchi, Hazan & Singer, 2011), as torch.optim.Adagrad. Like PyTorch, every parameter's
// state exists from construction: step 0 and the sum filled with the initial accumulator value.
using System.Numerics.Tensors;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Optim;

/// <summary>Adagrad (torch.optim.Adagrad).</summary>
/// <remarks>
/// For each parameter θ with gradient g; s is its buffer <c>sum</c> (starting at the initial accumulator
/// value) and t its own step count (<c>step</c>):
/// <code>
/// t ← t + 1
/// g ← g + λ·θ                                  if λ ≠ 0 (L2 penalty)
/// clr ← lr / (1 + (t − 1)·η)
/// s ← s + g²
/// θ ← θ − clr · g / (√s + ε)
/// </code>
/// The gradient tensor itself is not modified.
/// </remarks>
public sealed class Adagrad : Optimizer
{
    private readonly AdagradOptions _options;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="options">The options; <see cref="AdagradOptions.LearningRate"/> sets the initial <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    public Adagrad(IReadOnlyList<NamedParameter> parameters, AdagradOptions options)
        : base(nameof(Adagrad), parameters, NotNull(options).LearningRate, ["sum"], countsParameterSteps: true)
    {
        _options = options;
        for (int i = 0; i < Parameters.Count; i++) SumOf(i);
    }

    /// <summary>The options given at construction.</summary>
    public AdagradOptions Options => _options;

    /// <inheritdoc/>
    public override void Step()
    {
        var o = _options;
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i].Parameter;
            if (parameter.Grad is not Tensor gradTensor) continue;
            Span<float> sum = SumOf(i);
            int step = NextParameterStep(i);
            Span<float> theta = parameter.Value.Span;
            ReadOnlySpan<float> g = GradientWithDecay(parameter, o.WeightDecay, gradTensor.Span);
            float clr = (float)(LearningRate / (1 + (step - 1) * (double)o.LrDecay));
            // s ← s + g²;  θ ← θ − clr·g/(√s + ε)
            TensorPrimitives.MultiplyAdd(g, g, sum, sum);
            Span<float> std = ScratchB(theta.Length);
            TensorPrimitives.Sqrt(sum, std);
            TensorPrimitives.Add(std, o.Epsilon, std);
            TensorPrimitives.Divide(g, std, std);
            TensorPrimitives.MultiplyAdd(std, -clr, theta, theta);
        }
        StepCount++;
    }

    /// <summary>The squared-gradient sum of parameter <paramref name="index"/>, filled with the initial value when new.</summary>
    private Span<float> SumOf(int index)
    {
        Span<float> sum = BuffersOf(index, out bool created)[0].Span;
        if (created) sum.Fill(_options.InitialAccumulatorValue);
        return sum;
    }

    private static AdagradOptions NotNull(AdagradOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
