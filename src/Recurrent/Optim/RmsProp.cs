// RMSprop (Hinton, Coursera lecture 6e; centered form from Graves, 2013), as torch.optim.RMSprop.
using System.Numerics.Tensors;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Optim;

/// <summary>RMSprop (torch.optim.RMSprop).</summary>
/// <remarks>
/// For each parameter θ with gradient g; v, b and ḡ are its buffers <c>square_avg</c>, <c>momentum_buffer</c>
/// (momentum &gt; 0 only) and <c>grad_avg</c> (centered only); <c>step</c> counts its updates:
/// <code>
/// g ← g + λ·θ                                  if λ ≠ 0 (L2 penalty)
/// v ← α·v + (1 − α)·g²
/// if centered:  ḡ ← ḡ + (1 − α)·(g − ḡ);  d ← √(v − ḡ²) + ε
/// else:         d ← √v + ε
/// if μ > 0:     b ← μ·b + g/d;  θ ← θ − lr·b
/// else:         θ ← θ − lr·g/d
/// </code>
/// The gradient tensor itself is not modified.
/// </remarks>
public sealed class RmsProp : Optimizer
{
    private readonly RmsPropOptions _options;
    private readonly int _momentumIndex, _gradAvgIndex;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters to update, with unique names.</param>
    /// <param name="options">The options; <see cref="RmsPropOptions.LearningRate"/> sets the initial <see cref="Optimizer.LearningRate"/>.</param>
    /// <exception cref="ArgumentException">The parameter list is empty or repeats a parameter.</exception>
    public RmsProp(IReadOnlyList<NamedParameter> parameters, RmsPropOptions options)
        : base(nameof(RmsProp), parameters, NotNull(options).LearningRate, BufferNames(options), countsParameterSteps: true)
    {
        _options = options;
        _momentumIndex = options.Momentum > 0 ? 1 : -1;
        _gradAvgIndex = options.Centered ? (options.Momentum > 0 ? 2 : 1) : -1;
    }

    /// <summary>The options given at construction.</summary>
    public RmsPropOptions Options => _options;

    /// <inheritdoc/>
    public override void Step()
    {
        var o = _options;
        float lr = LearningRate;
        for (int i = 0; i < Parameters.Count; i++)
        {
            Parameter parameter = Parameters[i].Parameter;
            if (parameter.Grad is not Tensor gradTensor) continue;
            Tensor[] buffers = BuffersOf(i, out _);
            NextParameterStep(i);
            Span<float> theta = parameter.Value.Span;
            ReadOnlySpan<float> g = GradientWithDecay(parameter, o.WeightDecay, gradTensor.Span);
            Span<float> squareAvg = buffers[0].Span, denominator = ScratchB(theta.Length);
            // v ← α·v + (1 − α)·g²
            TensorPrimitives.Multiply(squareAvg, o.Alpha, squareAvg);
            TensorPrimitives.Multiply(g, 1 - o.Alpha, denominator);
            TensorPrimitives.MultiplyAdd(denominator, g, squareAvg, squareAvg);
            if (o.Centered)
            {
                // ḡ ← ḡ + (1 − α)·(g − ḡ);  d ← √(v − ḡ²)
                Span<float> gradAvg = buffers[_gradAvgIndex].Span;
                TensorPrimitives.Subtract(g, gradAvg, denominator);
                TensorPrimitives.MultiplyAdd(denominator, 1 - o.Alpha, gradAvg, gradAvg);
                TensorPrimitives.Multiply(gradAvg, gradAvg, denominator);
                TensorPrimitives.Subtract(squareAvg, denominator, denominator);
                TensorPrimitives.Sqrt(denominator, denominator);
            }
            else
            {
                TensorPrimitives.Sqrt(squareAvg, denominator);
            }
            TensorPrimitives.Add(denominator, o.Epsilon, denominator);
            TensorPrimitives.Divide(g, denominator, denominator); // now g/d
            if (_momentumIndex >= 0)
            {
                // b ← μ·b + g/d;  θ ← θ − lr·b
                Span<float> momentum = buffers[_momentumIndex].Span;
                TensorPrimitives.Multiply(momentum, o.Momentum, momentum);
                TensorPrimitives.Add(momentum, denominator, momentum);
                TensorPrimitives.MultiplyAdd(momentum, -lr, theta, theta);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(denominator, -lr, theta, theta);
            }
        }
        StepCount++;
    }

    private static string[] BufferNames(RmsPropOptions options)
    {
        var names = new List<string> { "square_avg" };
        if (options.Momentum > 0) names.Add("momentum_buffer");
        if (options.Centered) names.Add("grad_avg");
        return [.. names];
    }

    private static RmsPropOptions NotNull(RmsPropOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options;
    }
}
