// A value in the autograd graph: a tensor, and (when it requires a gradient) a gradient of the same shape.
// Gradients accumulate (+=); they are zeroed in one visible place (the optimizer's ZeroGrad, or
// Tape.Backward for intermediate results at the start of each backward pass).
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>A tensor that may carry a gradient.</summary>
public class Variable
{
    private Tensor? _grad;

    /// <summary>Wraps <paramref name="value"/>; the variable owns neither allocation nor disposal of it.</summary>
    public Variable(Tensor value, bool requiresGrad)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        RequiresGrad = requiresGrad;
    }

    /// <summary>The value.</summary>
    public Tensor Value { get; }

    /// <summary>Whether backward passes compute a gradient for this variable.</summary>
    public bool RequiresGrad { get; }

    /// <summary>The gradient, or null before any backward pass reached this variable.</summary>
    public Tensor? Grad => _grad;

    /// <summary>Shape of the value.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>The gradient, allocated zero-filled on first use (same shape as the value).</summary>
    public Tensor EnsureGrad() => _grad ??= CreateGrad();

    /// <summary>Sets the gradient to zero (keeps its storage).</summary>
    public void ZeroGrad() => _grad?.Span.Clear();

    /// <summary>Creates the gradient tensor; intermediate results take it from the pool.</summary>
    private protected virtual Tensor CreateGrad() => Tensor.Zeros(Value.Shape.ToArray());

    /// <summary>Drops the gradient (returning pooled storage).</summary>
    internal void ReleaseGrad()
    {
        _grad?.Dispose();
        _grad = null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Variable{Value.ShapeText}{(RequiresGrad ? " (grad)" : "")}";
}

/// <summary>A trainable weight: a leaf variable that always requires a gradient.</summary>
public sealed class Parameter : Variable
{
    /// <summary>Creates a parameter holding <paramref name="value"/>.</summary>
    public Parameter(Tensor value) : base(value, requiresGrad: true) { }

    /// <summary>
    /// Weight decay leaves this parameter alone (a normalisation's gain or shift, whose decay towards 0 would undo the
    /// normalisation), as a PyTorch parameter group with <c>weight_decay=0</c>. Honoured by every optimizer.
    /// </summary>
    public bool ExemptFromWeightDecay { get; init; }
}

/// <summary>
/// An intermediate result owned by a <see cref="Tape"/>: pooled storage, freed by <see cref="Tape.Reset"/>; or a
/// view, which shares both the value and the gradient storage of the result it views and owns neither.
/// </summary>
internal sealed class TapeResult : Variable
{
    private readonly Variable? _viewOf;

    public TapeResult(Tensor value, bool requiresGrad) : base(value, requiresGrad) { }

    /// <summary>A view of <paramref name="source"/> under <paramref name="shape"/> (same element count).</summary>
    public TapeResult(Variable source, int[] shape, bool requiresGrad) : base(source.Value.Reshape(shape), requiresGrad) => _viewOf = source;

    private protected override Tensor CreateGrad() =>
        _viewOf is null ? Tensor.Rent(Value.Shape.ToArray()) : _viewOf.EnsureGrad().Reshape(Value.Shape.ToArray());
}
