// Reverse-mode automatic differentiation on a tape.
// Each op computes its forward result at once and, when any input requires a gradient and recording is
// on, appends a node whose Backward reads the output's gradient and accumulates (+=) into its inputs'
// gradients. Tape.Backward runs the nodes in reverse order. Intermediate results live in pooled storage
// that Reset returns; parameters and caller-made variables are never freed by the tape. During Backward the
// gradient of an intermediate result goes back to the pool as soon as the node that made the result has run:
// every node that adds to that gradient was recorded later and has already run, so no one reads it again.
using Recurrent.Tensors;

namespace Recurrent.Autograd;

/// <summary>One recorded op: differentiates its forward expression.</summary>
public abstract class TapeNode
{
    /// <summary>Reads the output gradient(s) and accumulates into the gradients of inputs that require one.</summary>
    public abstract void Backward();
}

/// <summary>Records ops for a backward pass and owns their intermediate results.</summary>
public sealed class Tape : IDisposable
{
    private readonly List<TapeNode> _nodes = new();
    private readonly List<TapeResult> _results = new();
    // _madeBy[i]: the results created after node i−1 was recorded and up to node i, i.e. node i's outputs.
    private readonly List<(int Start, int End)> _madeBy = new();
    private int _unclaimed;
    private int _noGradDepth;

    /// <summary>Whether ops are recorded (false inside <see cref="NoGrad"/>).</summary>
    public bool IsRecording => _noGradDepth == 0;

    /// <summary>Training mode (dropout active) or evaluation mode. Default: training.</summary>
    public bool Training { get; set; } = true;

    /// <summary>Number of recorded nodes.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Stops recording until the returned scope is disposed (inference).</summary>
    public NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope(this);
    }

    /// <summary>A variable for an input that needs no gradient (data). Not freed by the tape.</summary>
    public static Variable Constant(Tensor value) => new(value, requiresGrad: false);

    /// <summary>Whether an op on these inputs must be recorded.</summary>
    public bool NeedsGrad(Variable a) => IsRecording && a.RequiresGrad;

    /// <summary>Whether an op on these inputs must be recorded.</summary>
    public bool NeedsGrad(Variable a, Variable b) => IsRecording && (a.RequiresGrad || b.RequiresGrad);

    /// <summary>Whether an op on these inputs must be recorded.</summary>
    public bool NeedsGrad(Variable a, Variable b, Variable c) => IsRecording && (a.RequiresGrad || b.RequiresGrad || c.RequiresGrad);

    /// <summary>Whether an op on these inputs must be recorded.</summary>
    public bool NeedsGrad(ReadOnlySpan<Variable?> inputs)
    {
        if (!IsRecording) return false;
        foreach (Variable? v in inputs) if (v is { RequiresGrad: true }) return true;
        return false;
    }

    /// <summary>
    /// A new intermediate result of the given shape in pooled storage, owned by the tape until
    /// <see cref="Reset"/>. <paramref name="clear"/> zero-fills it (otherwise its contents are stale).
    /// </summary>
    public Variable Result(int[] shape, bool requiresGrad, bool clear = true) => Result(shape, requiresGrad, clear, minCapacity: 0);

    /// <summary>As <see cref="Result(int[], bool, bool)"/>, with storage for at least <paramref name="minCapacity"/> floats.</summary>
    internal Variable Result(int[] shape, bool requiresGrad, bool clear, int minCapacity)
    {
        var result = new TapeResult(Tensor.Rent(shape, clear, minCapacity), requiresGrad && IsRecording);
        _results.Add(result);
        return result;
    }

    /// <summary>
    /// A view of <paramref name="x"/> under <paramref name="shape"/> (same element count): it shares x's storage and
    /// x's gradient, so it costs no copy in either direction. Owned by the tape like any result.
    /// </summary>
    internal Variable ViewOf(Variable x, int[] shape)
    {
        bool needsGrad = NeedsGrad(x);
        var view = new TapeResult(x, shape, needsGrad);
        _results.Add(view);
        // Nothing to compute: gradients land in x's storage directly. Recording the node makes the view its output, so
        // Backward drops the view's gradient (a window on x's) right after, and never zeroes x's through it.
        if (needsGrad) Record(ViewNode.Instance);
        return view;
    }

    private sealed class ViewNode : TapeNode
    {
        public static ViewNode Instance { get; } = new();

        public override void Backward() { }
    }

    /// <summary>
    /// Appends a node; ops call this only when <see cref="NeedsGrad(Variable)"/> said so, and after creating their
    /// results with <see cref="Result(int[], bool, bool)"/>: the results made since the previous node count as this node's outputs,
    /// whose gradients <see cref="Backward(Variable)"/> releases once this node has run.
    /// </summary>
    public void Record(TapeNode node)
    {
        if (!IsRecording) throw new InvalidOperationException("Tape.Record: the tape is in no-grad mode; ops must check NeedsGrad before recording.");
        _nodes.Add(node);
        _madeBy.Add((_unclaimed, _results.Count));
        _unclaimed = _results.Count;
    }

    /// <summary>
    /// Back-propagates from a scalar <paramref name="loss"/>: d loss/d loss = 1, then every node in reverse
    /// order. Leaf gradients (parameters, inputs) accumulate across calls; intermediate gradients are
    /// recomputed from zero each call, so calling Backward twice doubles the leaf gradients (not through a recurrent
    /// layer, whose backward uses up the activations it saved and refuses a second pass). As in PyTorch,
    /// intermediate results do not keep their gradients: each is released once the node that made it has run.
    /// </summary>
    /// <exception cref="ArgumentException">The loss is not a single element or does not require a gradient.</exception>
    public void Backward(Variable loss)
    {
        if (loss.Value.Length != 1)
            throw new ArgumentException($"Tape.Backward: the loss must be a single element; got shape {loss.Value.ShapeText}. Reduce it with Sum or Mean first.", nameof(loss));
        if (!loss.RequiresGrad)
            throw new ArgumentException("Tape.Backward: the loss does not depend on anything that requires a gradient.", nameof(loss));
        foreach (TapeResult r in _results) r.ZeroGrad();
        loss.EnsureGrad().Span[0] += 1f;
        RunNodesInReverse();
    }

    /// <summary>Every node in reverse order; after each, the gradients of the results it made go back to the pool.</summary>
    private void RunNodesInReverse()
    {
        for (int i = _nodes.Count - 1; i >= 0; i--)
        {
            _nodes[i].Backward();
            var (start, end) = _madeBy[i];
            for (int r = start; r < end; r++) _results[r].ReleaseGrad();
        }
    }

    /// <summary>
    /// Back-propagates from any result given its gradient (PyTorch's <c>y.backward(gradient)</c>):
    /// d·/dy = <paramref name="outputGrad"/>, then every node in reverse order.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes differ, or <paramref name="output"/> requires no gradient.</exception>
    public void Backward(Variable output, Tensor outputGrad) => Backward([(output, outputGrad)]);

    /// <summary>Back-propagates from several results at once, each with its gradient (outputs that need no gradient are skipped).</summary>
    /// <exception cref="ArgumentException">A gradient's shape differs from its output's, or no output requires a gradient.</exception>
    public void Backward(IReadOnlyList<(Variable Output, Tensor Gradient)> seeds)
    {
        foreach (var (output, gradient) in seeds)
            if (!output.Value.SameShape(gradient))
                throw new ArgumentException($"Tape.Backward: the gradient {gradient.ShapeText} must have the output's shape {output.Value.ShapeText}.", nameof(seeds));
        if (!seeds.Any(s => s.Output.RequiresGrad))
            throw new ArgumentException("Tape.Backward: no output depends on anything that requires a gradient.", nameof(seeds));
        foreach (TapeResult r in _results) r.ZeroGrad();
        foreach (var (output, gradient) in seeds)
            if (output.RequiresGrad)
                System.Numerics.Tensors.TensorPrimitives.Add(output.EnsureGrad().Span, gradient.Span, output.Grad!.Span);
        RunNodesInReverse();
    }

    /// <summary>Forgets every node (disposing those that own buffers) and returns every intermediate result's storage to the pool.</summary>
    public void Reset()
    {
        foreach (TapeNode node in _nodes)
            if (node is IDisposable owner) owner.Dispose();
        _nodes.Clear();
        _madeBy.Clear();
        _unclaimed = 0;
        foreach (TapeResult r in _results)
        {
            r.ReleaseGrad();
            r.Value.Dispose();
        }
        _results.Clear();
    }

    /// <inheritdoc/>
    public void Dispose() => Reset();

    /// <summary>Restores recording when disposed.</summary>
    public readonly struct NoGradScope(Tape tape) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => tape._noGradDepth--;
    }
}
