// Elementwise ops, forward and backward together. Shapes of a and b must match exactly (no broadcasting),
// except AddBias, which adds a [F] bias to every row of a [..., F] input.
//   Tanh:    y = tanh(x)          dx += dy·(1 − y²)
//   Sigmoid: y = σ(x)             dx += dy·y·(1 − y)
//   Relu:    y = max(x, 0)        dx += dy·[y > 0]
//   Add:     y = a + b            da += dy,  db += dy
//   Mul:     y = a ⊙ b            da += dy ⊙ b,  db += dy ⊙ a
//   Scale:   y = s·x              dx += s·dy
//   AddBias: y[r, :] = x[r, :] + bias     dx += dy,  dbias += Σ_r dy[r, :]
// Backward accumulates (+=) into the inputs' gradients.
using System.Numerics.Tensors;
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>Elementwise ops: activations, sums, products and scaling.</summary>
public static class ElementwiseOps
{
    /// <summary>y = tanh(x), any shape.</summary>
    public static Variable Tanh(this Tape tape, Variable x) => Activation(tape, x, ActivationKind.Tanh);

    /// <summary>y = σ(x) = 1 / (1 + e^−x), any shape.</summary>
    public static Variable Sigmoid(this Tape tape, Variable x) => Activation(tape, x, ActivationKind.Sigmoid);

    /// <summary>y = max(x, 0), any shape. The gradient at 0 is 0, as in PyTorch.</summary>
    public static Variable Relu(this Tape tape, Variable x) => Activation(tape, x, ActivationKind.Relu);

    /// <summary>y = a + b. a and b: the same shape.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Variable Add(this Tape tape, Variable a, Variable b)
    {
        CheckSameShape("Add", a, b);
        Variable y = tape.Result(a.Value.Shape.ToArray(), tape.NeedsGrad(a, b), clear: false);
        TensorPrimitives.Add(a.Value.Span, b.Value.Span, y.Value.Span);
        if (y.RequiresGrad) tape.Record(new AddNode(a, b, y));
        return y;
    }

    /// <summary>y = a ⊙ b (elementwise product). a and b: the same shape.</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Variable Mul(this Tape tape, Variable a, Variable b)
    {
        CheckSameShape("Mul", a, b);
        Variable y = tape.Result(a.Value.Shape.ToArray(), tape.NeedsGrad(a, b), clear: false);
        TensorPrimitives.Multiply(a.Value.Span, b.Value.Span, y.Value.Span);
        if (y.RequiresGrad) tape.Record(new MulNode(a, b, y));
        return y;
    }

    /// <summary>y = s·x, any shape.</summary>
    public static Variable Scale(this Tape tape, Variable x, float s)
    {
        Variable y = tape.Result(x.Value.Shape.ToArray(), tape.NeedsGrad(x), clear: false);
        TensorPrimitives.Multiply(x.Value.Span, s, y.Value.Span);
        if (y.RequiresGrad) tape.Record(new ScaleNode(x, s, y));
        return y;
    }

    /// <summary>y[..., f] = x[..., f] + bias[f]. x: [..., F]; bias: [F].</summary>
    /// <exception cref="ArgumentException">The bias is not 1-D of the input's last dimension.</exception>
    public static Variable AddBias(this Tape tape, Variable x, Variable bias)
    {
        int features = x.Value.Rank == 0 ? 0 : x.Value.Dim(-1);
        if (x.Value.Rank == 0 || bias.Value.Rank != 1 || bias.Value.Dim(0) != features)
            throw new ArgumentException($"AddBias: input X{x.Value.ShapeText} needs a bias of shape [{features}] (its last dimension); got {bias.Value.ShapeText}.", nameof(bias));
        int rows = features == 0 ? 0 : x.Value.Length / features;
        Variable y = tape.Result(x.Value.Shape.ToArray(), tape.NeedsGrad(x, bias), clear: false);
        ReadOnlySpan<float> xs = x.Value.Span, b = bias.Value.Span;
        Span<float> ys = y.Value.Span;
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(xs.Slice(r * features, features), b, ys.Slice(r * features, features));
        if (y.RequiresGrad) tape.Record(new AddBiasNode(x, bias, y, rows, features));
        return y;
    }

    private enum ActivationKind { Tanh, Sigmoid, Relu }

    private static Variable Activation(Tape tape, Variable x, ActivationKind kind)
    {
        Variable y = tape.Result(x.Value.Shape.ToArray(), tape.NeedsGrad(x), clear: false);
        ReadOnlySpan<float> xs = x.Value.Span;
        Span<float> ys = y.Value.Span;
        if (!xs.IsEmpty)
        {
            switch (kind)
            {
                case ActivationKind.Tanh: Activations.Tanh(xs, ys); break;
                case ActivationKind.Sigmoid: Activations.Sigmoid(xs, ys); break;
                default: Activations.Relu(xs, ys); break;
            }
        }
        if (y.RequiresGrad) tape.Record(new ActivationNode(x, y, kind));
        return y;
    }

    private static void CheckSameShape(string op, Variable a, Variable b)
    {
        if (!a.Value.SameShape(b.Value))
            throw new ArgumentException($"{op}: A and B must have the same shape (no broadcasting); got A{a.Value.ShapeText} and B{b.Value.ShapeText}. Reshape one of them first.");
    }

    private sealed class ActivationNode(Variable x, Variable y, ActivationKind kind) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            ReadOnlySpan<float> ys = y.Value.Span, dY = gradY.Span;
            Span<float> dX = x.EnsureGrad().Span;
            switch (kind)
            {
                // y = tanh(x)  →  dx += dy·(1 − y²)
                case ActivationKind.Tanh: Activations.TanhBackward(ys, dY, dX); break;
                // y = σ(x)  →  dx += dy·y·(1 − y)
                case ActivationKind.Sigmoid: Activations.SigmoidBackward(ys, dY, dX); break;
                // y = max(x, 0)  →  dx += dy·[y > 0]
                default: Activations.ReluBackward(ys, dY, dX); break;
            }
        }
    }

    private sealed class AddNode(Variable a, Variable b, Variable y) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY) return;
            ReadOnlySpan<float> dY = gradY.Span;
            // y = a + b  →  db += dy
            if (b.RequiresGrad) TensorPrimitives.Add(b.EnsureGrad().Span, dY, b.Grad!.Span);
            // y = a + b  →  da += dy
            if (a.RequiresGrad) TensorPrimitives.Add(a.EnsureGrad().Span, dY, a.Grad!.Span);
        }
    }

    private sealed class MulNode(Variable a, Variable b, Variable y) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY) return;
            ReadOnlySpan<float> dY = gradY.Span;
            // y = a ⊙ b  →  db += dy ⊙ a
            if (b.RequiresGrad)
            {
                Span<float> dB = b.EnsureGrad().Span;
                TensorPrimitives.MultiplyAdd(dY, a.Value.Span, dB, dB);
            }
            // y = a ⊙ b  →  da += dy ⊙ b
            if (a.RequiresGrad)
            {
                Span<float> dA = a.EnsureGrad().Span;
                TensorPrimitives.MultiplyAdd(dY, b.Value.Span, dA, dA);
            }
        }
    }

    private sealed class ScaleNode(Variable x, float s, Variable y) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            // y = s·x  →  dx += s·dy
            Span<float> dX = x.EnsureGrad().Span;
            TensorPrimitives.MultiplyAdd(gradY.Span, s, dX, dX);
        }
    }

    private sealed class AddBiasNode(Variable x, Variable bias, Variable y, int rows, int features) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY) return;
            ReadOnlySpan<float> dY = gradY.Span;
            // y[r, :] = x[r, :] + bias  →  dbias += Σ_r dy[r, :]
            if (bias.RequiresGrad)
                ColumnSums.AddTo(dY, rows, features, features, bias.EnsureGrad().Span);
            // y = x + bias  →  dx += dy
            if (x.RequiresGrad) TensorPrimitives.Add(x.EnsureGrad().Span, dY, x.Grad!.Span);
        }
    }
}
