// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay,
// step for step as torch.optim.SGD (single-tensor path).
using System.Numerics.Tensors;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Optim;

/// <summary>Stochastic gradient descent (torch.optim.SGD).</summary>
/// <remarks>
/// For each parameter θ with gradient g, at step t (b is the momentum buffer, state key <c>momentum_buffer</c>):
/// <code>
/// g ← g + λ·θ                                   if λ ≠ 0 (weight decay)
/// if μ ≠ 0:
///     b ← g                                      at the parameter's first update
///     b ← μ·b + (1 − τ)·g                        afterwards
///     g ← g + μ·b  if Nesterov, else  g ← b
/// θ ← θ − lr·g
/// </code>
/// The gradient tensor itself is not modified.
/// </remarks>
public sealed class Sgd : Optimizer
{
    private readonly SgdOptions _options;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="options">The options; <see cref="SgdOptions.LearningRate"/> sets the initial <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The options are inconsistent.</exception>
    public Sgd(IReadOnlyList<NamedParameter> parameters, SgdOptions options)
        : base(nameof(Sgd), parameters, Checked(options).LearningRate,
            options.Momentum != 0 ? ["momentum_buffer"] : [], countsParameterSteps: false)
    {
        _options = options;
    }

    /// <summary>The options given at construction.</summary>
    public SgdOptions Options => _options;

    /// <inheritdoc/>
    public override void Step()
    {
        float lr = LearningRate, momentum = _options.Momentum, weightDecay = _options.WeightDecay;
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i].Parameter;
            if (parameter.Grad is not Tensor gradTensor) continue;
            Span<float> theta = parameter.Value.Span;
            ReadOnlySpan<float> g = GradientWithDecay(parameter, weightDecay, gradTensor.Span);
            if (momentum != 0)
            {
                Span<float> buffer = BuffersOf(i, out bool created)[0].Span;
                if (created)
                {
                    g.CopyTo(buffer);
                }
                else
                {
                    TensorPrimitives.Multiply(buffer, momentum, buffer);
                    TensorPrimitives.MultiplyAdd(g, 1 - _options.Dampening, buffer, buffer);
                }
                if (_options.Nesterov)
                {
                    Span<float> look = ScratchB(theta.Length);
                    TensorPrimitives.MultiplyAdd(buffer, momentum, g, look);
                    g = look;
                }
                else
                {
                    g = buffer;
                }
            }
            TensorPrimitives.MultiplyAdd(g, -lr, theta, theta);
        }
        StepCount++;
    }

    private static SgdOptions Checked(SgdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
