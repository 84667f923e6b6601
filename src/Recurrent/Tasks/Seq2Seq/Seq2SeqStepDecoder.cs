// The encoder-decoder as an IStepDecoder for greedy and beam search: the per-row state is the decoder's
// recurrent state, its feedback vector and the row's copy of the encoder memory, held as plain tensors
// between steps. The state's tensors and each step's outputs are rented from the tensor pool: the search
// releases a state once it has been replaced and the next Step returns the previous step's outputs, so a long
// search reuses a few arrays instead of leaving a copy per step for the garbage collector.
// Legend: N rows (hypotheses), L_d decoder layers, H_d decoder hidden, S source steps, F memory features,
// K key features, V_t target vocabulary.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>The search state of N rows.</summary>
/// <param name="H">[L_d, N, H_d].</param>
/// <param name="C">[L_d, N, H_d] for LSTM, else null.</param>
/// <param name="Feed">[N, H_d].</param>
/// <param name="Values">[S, N, F] encoder outputs, null without attention.</param>
/// <param name="Keys">[S, N, K] prepared keys, null without attention.</param>
/// <param name="Lengths">[N] source lengths.</param>
public sealed record Seq2SeqSearchState(Tensor H, Tensor? C, Tensor Feed, Tensor? Values, Tensor? Keys, int[] Lengths);

/// <summary>Steps the decoder of a <see cref="Seq2SeqNetwork"/> for search, without gradients.</summary>
public sealed class Seq2SeqStepDecoder(Seq2SeqNetwork network) : IStepDecoder<Seq2SeqSearchState>, IDisposable
{
    // The last Step's log-probabilities and attention: valid until the next Step, which returns them to the pool.
    private Tensor? _logProbabilities, _attention;

    /// <inheritdoc/>
    public int VocabularySize => network.Shape.TargetVocabularySize;

    /// <summary>Encodes a batch of sources (each non-empty) into the initial search state, one row per source.</summary>
    public Seq2SeqSearchState Start(IReadOnlyList<int[]> sources)
    {
        int b = sources.Count, s = sources.Max(x => x.Length);
        var tokens = new int[s * b];
        var lengths = new int[b];
        for (int j = 0; j < b; j++)
        {
            lengths[j] = sources[j].Length;
            for (int t = 0; t < lengths[j]; t++) tokens[t * b + j] = sources[j][t];
        }
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        EncodedSource e = network.Encode(tape, tokens, s, lengths, null);
        return new Seq2SeqSearchState(Copy(e.Initial.Rnn.H.Value), CopyOrNull(e.Initial.Rnn.C?.Value), Copy(e.Initial.Feed.Value),
            CopyOrNull(e.Memory?.Values.Value), CopyOrNull(e.Memory?.Keys.Value), lengths);
    }

    /// <inheritdoc/>
    public StepResult<Seq2SeqSearchState> Step(ReadOnlySpan<int> previousTokens, Seq2SeqSearchState state)
    {
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        var decoderState = new DecoderState(new RecurrentState(Tape.Constant(state.H), state.C is null ? null : Tape.Constant(state.C)), Tape.Constant(state.Feed));
        AttentionMemory? memory = state.Values is null ? null : new AttentionMemory(Tape.Constant(state.Values), Tape.Constant(state.Keys!), state.Lengths);
        DecoderStepOutput step = network.Step(tape, previousTokens, decoderState, memory, null);
        Variable logits = network.Logits(tape, step.Output, null);
        int n = previousTokens.Length, v = VocabularySize;
        ReturnOutputs();
        var logProbabilities = _logProbabilities = Tensor.Rent([n, v], clear: false);
        Softmax.LogRows(logits.Value.Span, logProbabilities.Span, n, v);
        Tensor? attention = null;
        if (step.Weights is not null)
        {
            int s = step.Weights.Value.Dim(0);
            attention = _attention = Tensor.Rent([n, s], clear: false);
            ReadOnlySpan<float> w = step.Weights.Value.Span;
            for (int t = 0; t < s; t++)
                for (int j = 0; j < n; j++) attention[j * s + t] = w[t * n + j];
        }
        var next = state with { H = Copy(step.State.Rnn.H.Value), C = CopyOrNull(step.State.Rnn.C?.Value), Feed = Copy(step.State.Feed.Value) };
        return new StepResult<Seq2SeqSearchState>(logProbabilities, next, attention);
    }

    /// <inheritdoc/>
    public Seq2SeqSearchState Select(Seq2SeqSearchState state, ReadOnlySpan<int> rows)
    {
        int[] r = rows.ToArray();
        return new Seq2SeqSearchState(GatherMiddle(state.H, r), state.C is null ? null : GatherMiddle(state.C, r), GatherRows(state.Feed, r),
            state.Values is null ? null : GatherMiddle(state.Values, r), state.Keys is null ? null : GatherMiddle(state.Keys, r),
            r.Select(i => state.Lengths[i]).ToArray());
    }

    /// <inheritdoc/>
    public void Release(Seq2SeqSearchState state, Seq2SeqSearchState? successor)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (Tensor? t in (Tensor?[])[state.H, state.C, state.Feed, state.Values, state.Keys])
            if (t is not null && !(successor is not null && Holds(successor, t))) t.Dispose();
    }

    /// <summary>Returns the last step's outputs to the pool.</summary>
    public void Dispose() => ReturnOutputs();

    private void ReturnOutputs()
    {
        _logProbabilities?.Dispose();
        _attention?.Dispose();
        _logProbabilities = _attention = null;
    }

    private static bool Holds(Seq2SeqSearchState s, Tensor t) =>
        ReferenceEquals(s.H, t) || ReferenceEquals(s.C, t) || ReferenceEquals(s.Feed, t) || ReferenceEquals(s.Values, t) || ReferenceEquals(s.Keys, t);

    /// <summary>A copy of <paramref name="x"/> in pooled storage.</summary>
    private static Tensor Copy(Tensor x)
    {
        var y = Tensor.Rent(x.Shape.ToArray(), clear: false);
        x.Span.CopyTo(y.Span);
        return y;
    }

    private static Tensor? CopyOrNull(Tensor? x) => x is null ? null : Copy(x);

    /// <summary>x [N, F] → [N', F] with row i = x[rows[i]].</summary>
    private static Tensor GatherRows(Tensor x, int[] rows)
    {
        int f = x.Dim(1);
        var y = Tensor.Rent([rows.Length, f], clear: false);
        for (int i = 0; i < rows.Length; i++) x.Span.Slice(rows[i] * f, f).CopyTo(y.Span.Slice(i * f, f));
        return y;
    }

    /// <summary>x [A, N, F] → [A, N', F] with [a, i] = x[a, rows[i]].</summary>
    private static Tensor GatherMiddle(Tensor x, int[] rows)
    {
        int a = x.Dim(0), n = x.Dim(1), f = x.Dim(2);
        var y = Tensor.Rent([a, rows.Length, f], clear: false);
        for (int k = 0; k < a; k++)
            for (int i = 0; i < rows.Length; i++)
                x.Span.Slice((k * n + rows[i]) * f, f).CopyTo(y.Span.Slice((k * rows.Length + i) * f, f));
        return y;
    }
}
