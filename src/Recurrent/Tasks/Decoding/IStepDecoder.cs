// The one interface that greedy decoding and beam search need from a model: advance a batch of hypotheses by
// one token, and reorder (select) the per-hypothesis state by row index. Sequence-to-sequence and captioning
// models both implement it; the search code knows nothing about encoders, images or attention forms. The search
// owns the states it is given and made: it releases each one as soon as it has been replaced, so a decoder whose
// states hold pooled storage can hand it back step by step instead of leaving it to the garbage collector.
//
// Legend: N hypotheses in the current batch (rows), V vocabulary, S attended positions (source tokens or
// image regions).
using Recurrent.Tensors;

namespace Recurrent.Tasks.Decoding;

/// <summary>A model that scores the next token for a batch of partial hypotheses.</summary>
/// <typeparam name="TState">The model's per-row state (recurrent state, attention context, encoder memory).</typeparam>
public interface IStepDecoder<TState>
{
    /// <summary>V: the number of token ids the log-probabilities cover.</summary>
    int VocabularySize { get; }

    /// <summary>Advances every row by one token.</summary>
    /// <param name="previousTokens">[N] the last token of each row (the begin token on the first step).</param>
    /// <param name="state">The state of the N rows.</param>
    /// <returns>
    /// Log-probabilities [N, V] of the next token, the state after the step and, when the model attends,
    /// attention weights [N, S]. The returned tensors may be reused by the next call to <c>Step</c>; the
    /// search reads them before it calls again.
    /// </returns>
    StepResult<TState> Step(ReadOnlySpan<int> previousTokens, TState state);

    /// <summary>A state whose row i is row <c>rows[i]</c> of <paramref name="state"/> (rows may repeat or be dropped).</summary>
    /// <param name="state">The state of the current rows.</param>
    /// <param name="rows">[N'] source row of each new row.</param>
    TState Select(TState state, ReadOnlySpan<int> rows);

    /// <summary>
    /// The search is done with <paramref name="state"/>: the decoder may return the storage it holds, except what
    /// <paramref name="successor"/> shares with it (a state from <c>Step</c> may share the encoder memory of the
    /// state it came from). The default keeps everything for the garbage collector.
    /// </summary>
    /// <param name="state">A state the search will not read again.</param>
    /// <param name="successor">The state that replaces it, or null at the end of the search.</param>
    void Release(TState state, TState? successor) { }
}

/// <summary>What one decoding step returns.</summary>
/// <param name="LogProbabilities">[N, V] log-probabilities of the next token.</param>
/// <param name="State">The state after the step, one row per hypothesis.</param>
/// <param name="Attention">[N, S] attention weights of the step, or null when the model does not attend.</param>
public readonly record struct StepResult<TState>(Tensor LogProbabilities, TState State, Tensor? Attention);
