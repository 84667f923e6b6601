// Shape ops on row-major tensors, forward and backward together.
//   Concat:  y = [x₀ | x₁ | …] along one axis         dxₚ += the slice of dy that xₚ filled
//   Split:   [y₀ | y₁ | …] = x along one axis         dx[slice p] += dyₚ
//   Reshape: y = x viewed with another shape (copied)  dx += dy (same elements, same order)
// Along an axis a, a row-major tensor is [outer, size_a, inner] with outer = Π dims before a and
// inner = Π dims after a, so part p occupies, in each outer block, a contiguous run of size_p·inner.
// Backward accumulates (+=) into the inputs' gradients.
using System.Numerics.Tensors;

namespace Recurrent.Autograd;

/// <summary>Concatenation, splitting and reshaping.</summary>
public static class ShapeOps
{
    /// <summary>Joins <paramref name="parts"/> along <paramref name="axis"/> (negative counts from the end), like torch.cat.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="parts">At least one tensor; all of the same rank and the same size on every other axis.</param>
    /// <param name="axis">The axis to join along.</param>
    /// <exception cref="ArgumentException">No parts, an axis out of range, or mismatched shapes.</exception>
    public static Variable Concat(this Tape tape, IReadOnlyList<Variable> parts, int axis)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Concat: needs at least one part; got none.", nameof(parts));
        int[] shape = parts[0].Value.Shape.ToArray();
        axis = NormalizeAxis("Concat", axis, shape.Length);
        int total = 0;
        bool needsGrad = false;
        foreach (Variable p in parts)
        {
            ReadOnlySpan<int> s = p.Value.Shape;
            bool ok = s.Length == shape.Length;
            for (int d = 0; ok && d < s.Length; d++) ok = d == axis || s[d] == shape[d];
            if (!ok)
                throw new ArgumentException($"Concat: every part must match the first part {parts[0].Value.ShapeText} on all axes except {axis}; got {p.Value.ShapeText}.", nameof(parts));
            total += s[axis];
            needsGrad |= p.RequiresGrad;
        }
        shape[axis] = total;
        var (outer, inner) = OuterInner(shape, axis);
        Variable y = tape.Result(shape, needsGrad && tape.IsRecording, clear: false);
        Span<float> ys = y.Value.Span;
        int offset = 0;
        foreach (Variable p in parts)
        {
            int run = p.Value.Dim(axis) * inner;
            ReadOnlySpan<float> xs = p.Value.Span;
            for (int o = 0; o < outer; o++) xs.Slice(o * run, run).CopyTo(ys.Slice(o * total * inner + offset, run));
            offset += run;
        }
        if (y.RequiresGrad) tape.Record(new ConcatNode(parts.ToArray(), y, axis, outer, inner, total * inner));
        return y;
    }

    /// <summary>Cuts <paramref name="x"/> along <paramref name="axis"/> into parts of the given sizes, like torch.split with a list.</summary>
    /// <param name="tape">The tape.</param>
    /// <param name="x">The tensor to cut.</param>
    /// <param name="axis">The axis to cut along (negative counts from the end).</param>
    /// <param name="sizes">Part sizes along the axis: each ≥ 0, summing to the axis size.</param>
    /// <returns>One variable per size; gradients of each flow back into its slice of x.</returns>
    /// <exception cref="ArgumentException">An axis out of range, or sizes that do not sum to the axis size.</exception>
    public static Variable[] Split(this Tape tape, Variable x, int axis, IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        int[] shape = x.Value.Shape.ToArray();
        axis = NormalizeAxis("Split", axis, shape.Length);
        long sum = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"Split: sizes must be ≥ 0; got [{string.Join(", ", sizes)}].", nameof(sizes));
            sum += s;
        }
        if (sum != shape[axis])
            throw new ArgumentException($"Split: sizes [{string.Join(", ", sizes)}] sum to {sum} but axis {axis} of X{x.Value.ShapeText} has {shape[axis]}; pass sizes that add up to it.", nameof(sizes));
        var (outer, inner) = OuterInner(shape, axis);
        int stride = shape[axis] * inner;
        bool needsGrad = tape.NeedsGrad(x);
        ReadOnlySpan<float> xs = x.Value.Span;
        var parts = new Variable[sizes.Count];
        int offset = 0;
        for (int p = 0; p < parts.Length; p++)
        {
            shape[axis] = sizes[p];
            parts[p] = tape.Result(shape, needsGrad, clear: false);
            int run = sizes[p] * inner;
            Span<float> ys = parts[p].Value.Span;
            for (int o = 0; o < outer; o++) xs.Slice(o * stride + offset, run).CopyTo(ys.Slice(o * run, run));
            offset += run;
        }
        if (needsGrad) tape.Record(new SplitNode(x, parts, outer, stride));
        return parts;
    }

    /// <summary>
    /// The elements of <paramref name="x"/> in the same row-major order under a new shape (one dimension may
    /// be −1, inferred). The result is a copy, so later in-place changes to either side do not leak.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one −1.</exception>
    public static Variable Reshape(this Tape tape, Variable x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        int[] resolved = ResolveShape(x, shape, "Reshape");
        Variable y = tape.Result(resolved, tape.NeedsGrad(x), clear: false);
        x.Value.Span.CopyTo(y.Value.Span);
        if (y.RequiresGrad) tape.Record(new ReshapeNode(x, y));
        return y;
    }

    /// <summary>
    /// <paramref name="x"/> under a new shape without a copy (one dimension may be −1, inferred): the result shares
    /// x's storage and gradient, as PyTorch's <c>view</c> does. Use it where neither side is changed in place
    /// afterwards; <see cref="Reshape"/> copies.
    /// </summary>
    /// <exception cref="ArgumentException">The element counts differ, or more than one −1.</exception>
    public static Variable View(this Tape tape, Variable x, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(shape);
        return tape.ViewOf(x, ResolveShape(x, shape, "View"));
    }

    private static int[] ResolveShape(Variable x, int[] shape, string op)
    {
        int inferred = -1;
        long known = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == -1 && inferred < 0) inferred = d;
            else if (shape[d] < 0) throw ReshapeError(op, x, shape, "at most one dimension may be −1 and the others must be ≥ 0");
            else known *= shape[d];
        }
        int[] resolved = (int[])shape.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || x.Value.Length % known != 0) throw ReshapeError(op, x, shape, "the −1 dimension cannot be inferred");
            resolved[inferred] = (int)(x.Value.Length / known);
        }
        else if (known != x.Value.Length) throw ReshapeError(op, x, shape, $"the new shape holds {known} elements");
        return resolved;
    }

    private static ArgumentException ReshapeError(string op, Variable x, int[] shape, string why) =>
        new($"{op}: cannot reshape X{x.Value.ShapeText} ({x.Value.Length} elements) to [{string.Join(", ", shape)}]: {why}; pass a shape with {x.Value.Length} elements.", nameof(shape));

    private static int NormalizeAxis(string op, int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentException($"{op}: axis {axis} is out of range for a tensor of rank {rank}; pass an axis in [{-rank}, {rank - 1}].", nameof(axis));
        return a;
    }

    private static (int Outer, int Inner) OuterInner(int[] shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, inner);
    }

    private sealed class ConcatNode(Variable[] parts, Variable y, int axis, int outer, int inner, int stride) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY) return;
            ReadOnlySpan<float> dY = gradY.Span;
            int offset = 0;
            foreach (Variable p in parts)
            {
                int run = p.Value.Dim(axis) * inner;
                // y[o, offset : offset + run] = xₚ[o, :]  →  dxₚ[o, :] += dy[o, offset : offset + run]
                if (p.RequiresGrad && run > 0)
                {
                    Span<float> dX = p.EnsureGrad().Span;
                    for (int o = 0; o < outer; o++)
                    {
                        Span<float> dst = dX.Slice(o * run, run);
                        TensorPrimitives.Add(dst, dY.Slice(o * stride + offset, run), dst);
                    }
                }
                offset += run;
            }
        }
    }

    private sealed class SplitNode(Variable x, Variable[] parts, int outer, int stride) : TapeNode
    {
        public override void Backward()
        {
            int offset = 0;
            foreach (Variable p in parts)
            {
                int run = outer == 0 ? 0 : p.Value.Length / outer;
                // yₚ[o, :] = x[o, offset : offset + run]  →  dx[o, offset : offset + run] += dyₚ[o, :]
                if (p.Grad is { } gradP && run > 0)
                {
                    Span<float> dX = x.EnsureGrad().Span;
                    ReadOnlySpan<float> dP = gradP.Span;
                    for (int o = 0; o < outer; o++)
                    {
                        Span<float> dst = dX.Slice(o * stride + offset, run);
                        TensorPrimitives.Add(dst, dP.Slice(o * run, run), dst);
                    }
                }
                offset += run;
            }
        }
    }

    private sealed class ReshapeNode(Variable x, Variable y) : TapeNode
    {
        public override void Backward()
        {
            if (y.Grad is not { } gradY || !x.RequiresGrad) return;
            // y = reshape(x)  →  dx += dy, element for element
            TensorPrimitives.Add(x.EnsureGrad().Span, gradY.Span, x.Grad!.Span);
        }
    }
}
