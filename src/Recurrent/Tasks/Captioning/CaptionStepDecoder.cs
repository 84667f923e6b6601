// The captioner behind the shared decoding interface (Tasks/Decoding): greedy and beam search call Step and
// Select, and know nothing of images. Runs on its own no-grad tape in evaluation mode; dispose it to free the
// tape's storage.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Captioning;

/// <summary>Advances caption hypotheses one word at a time.</summary>
public sealed class CaptionStepDecoder : IStepDecoder<CaptionState>, IDisposable
{
    private readonly CaptionNetwork _network;
    private readonly Tape _tape = new() { Training = false };
    private readonly IDisposable _noGrad;

    public CaptionStepDecoder(CaptionNetwork network)
    {
        _network = network;
        _noGrad = _tape.NoGrad();
    }

    public int VocabularySize => _network.Shape.VocabularySize;

    /// <summary>The state before the first word for <paramref name="batch"/> images' features [B, S·F].</summary>
    public CaptionState Start(float[] features, int batch) => _network.Start(_tape, features, batch);

    public StepResult<CaptionState> Step(ReadOnlySpan<int> previousTokens, CaptionState state)
    {
        int n = previousTokens.Length, v = VocabularySize;
        Variable words = _network.Embedding.Forward(_tape, previousTokens, n);
        var (logits, next, weights) = _network.Step(_tape, words, state, null);
        var logProbabilities = Tensor.Zeros(n, v);
        Softmax.LogRows(logits.Value.Span, logProbabilities.Span, n, v);
        Tensor? attention = null;
        if (weights is not null)
        {
            int s = weights.Value.Dim(0);
            attention = Tensor.Zeros(n, s);                       // [S, N] → [N, S]
            for (int c = 0; c < s; c++)
                for (int r = 0; r < n; r++) attention.Span[r * s + c] = weights.Value.Span[c * n + r];
        }
        return new StepResult<CaptionState>(logProbabilities, next, attention);
    }

    public CaptionState Select(CaptionState state, ReadOnlySpan<int> rows)
    {
        RecurrentState r = state.Recurrent;
        var recurrent = new RecurrentState(Gather(r.H, 1, rows), r.C is null ? null : Gather(r.C, 1, rows));
        AttentionMemory? memory = state.Memory is null ? null
            : new AttentionMemory(Gather(state.Memory.Values, 1, rows), Gather(state.Memory.Keys, 1, rows), Enumerable.Repeat(state.Memory.Lengths[0], rows.Length).ToArray());
        return new CaptionState(recurrent, Gather(state.Output, 0, rows), memory);
    }

    /// <summary>Rows of <paramref name="x"/> along <paramref name="axis"/> (0 or 1) picked by <paramref name="rows"/>.</summary>
    private static Variable Gather(Variable x, int axis, ReadOnlySpan<int> rows)
    {
        ReadOnlySpan<int> shape = x.Value.Shape;
        int outer = axis == 0 ? 1 : shape[0], size = shape[axis], inner = x.Value.Length / (outer * size);
        int[] newShape = shape.ToArray();
        newShape[axis] = rows.Length;
        var y = Tensor.Zeros(newShape);
        ReadOnlySpan<float> src = x.Value.Span;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < rows.Length; i++)
                src.Slice((o * size + rows[i]) * inner, inner).CopyTo(y.Span.Slice((o * rows.Length + i) * inner, inner));
        return new Variable(y, requiresGrad: false);
    }

    public void Dispose()
    {
        _noGrad.Dispose();
        _tape.Dispose();
    }
}
