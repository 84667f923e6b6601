// Step decoders made by hand for the search tests: the state of a row is its input id and the tokens it has
// emitted, and the next-token distribution is a fixed function of both, so any mix-up of rows by the search
// changes the result.
using Recurrent.Tasks.Decoding;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks.Decoding;

/// <summary>The state of one row: which input it serves, whether it has taken a step, and the tokens it was fed after the begin token.</summary>
internal sealed record ToyRow(int Input, bool Started, int[] Prefix);

/// <summary>A decoder whose log-probabilities come from <paramref name="probabilities"/> (input, prefix) → [V] probabilities.</summary>
internal sealed class ToyDecoder(int vocabularySize, int sourceLength, Func<int, int[], float[]> probabilities) : IStepDecoder<ToyRow[]>
{
    public const int Begin = 0, End = 1;

    public int VocabularySize => vocabularySize;

    public int Steps { get; private set; }

    // The release protocol: a state is never read after the search released it, nor released twice.
    private readonly HashSet<ToyRow[]> _live = new(ReferenceEqualityComparer.Instance), _released = new(ReferenceEqualityComparer.Instance);

    /// <summary>States made by Step or Select that the search has not released.</summary>
    public int LiveStates => _live.Count;

    public StepResult<ToyRow[]> Step(ReadOnlySpan<int> previousTokens, ToyRow[] state)
    {
        Steps++;
        Assert.False(_released.Contains(state), "Step read a released state");
        Assert.Equal(state.Length, previousTokens.Length);
        var logProbabilities = Tensor.Zeros(state.Length, vocabularySize);
        var attention = Tensor.Zeros(state.Length, sourceLength);
        var next = new ToyRow[state.Length];
        for (int row = 0; row < state.Length; row++)
        {
            var current = state[row];
            Assert.True(current.Started || previousTokens[row] == Begin, "the first step feeds the begin token");
            int[] prefix = current.Started ? [.. current.Prefix, previousTokens[row]] : current.Prefix;
            float[] p = probabilities(current.Input, prefix);
            for (int t = 0; t < vocabularySize; t++) logProbabilities[row * vocabularySize + t] = MathF.Log(p[t]);
            attention[row * sourceLength + (prefix.Length + current.Input) % sourceLength] = 1;
            next[row] = new ToyRow(current.Input, true, prefix);
        }
        _live.Add(next);
        return new StepResult<ToyRow[]>(logProbabilities, next, attention);
    }

    public void Release(ToyRow[] state, ToyRow[]? successor)
    {
        Assert.False(ReferenceEquals(state, successor));
        Assert.True(_released.Add(state), "a state was released twice");
        _live.Remove(state);
    }

    public ToyRow[] Select(ToyRow[] state, ReadOnlySpan<int> rows)
    {
        Assert.False(_released.Contains(state), "Select read a released state");
        var selected = new ToyRow[rows.Length];
        for (int i = 0; i < rows.Length; i++) selected[i] = state[rows[i]];
        _live.Add(selected);
        return selected;
    }

    public static ToyRow[] Start(int batchSize) => Enumerable.Range(0, batchSize).Select(i => new ToyRow(i, false, [])).ToArray();
}
