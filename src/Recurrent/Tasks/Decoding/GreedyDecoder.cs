// Greedy decoding: at every step each row takes its most probable token (the lowest id on a tie). Rows that
// emit the end token leave the batch, so the model's state shrinks to the rows still running.
namespace Recurrent.Tasks.Decoding;

/// <summary>Greedy decoding over a batch, for any <see cref="IStepDecoder{TState}"/>.</summary>
public static class GreedyDecoder
{
    /// <summary>Decodes <paramref name="batchSize"/> inputs, one row each in <paramref name="initialState"/>.</summary>
    /// <param name="decoder">The model.</param>
    /// <param name="initialState">State of the <paramref name="batchSize"/> rows before the first token; the search takes it over and releases it.</param>
    /// <param name="batchSize">B, the number of inputs.</param>
    /// <param name="options">End token, begin token and length limit (the beam size is ignored).</param>
    /// <returns>One output per input, in input order.</returns>
    public static IReadOnlyList<DecodedSequence> Decode<TState>(IStepDecoder<TState> decoder, TState initialState, int batchSize, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        var results = new DecodedSequence[batchSize];
        var origin = Enumerable.Range(0, batchSize).ToArray();
        var hypotheses = new Hypothesis?[batchSize];
        var previous = Enumerable.Repeat(options.BeginToken, batchSize).ToArray();
        TState state = initialState;
        int v = decoder.VocabularySize;
        for (int step = 0; step < options.MaxLength && origin.Length > 0; step++)
        {
            var output = decoder.Step(previous, state);
            decoder.Release(state, output.State);
            var logProbabilities = output.LogProbabilities.Span;
            var keep = new List<int>(origin.Length);
            for (int row = 0; row < origin.Length; row++)
            {
                var rowLogProbabilities = logProbabilities.Slice(row * v, v);
                int token = ArgMax(rowLogProbabilities);
                double total = (hypotheses[row]?.LogProbability ?? 0) + rowLogProbabilities[token];
                var hypothesis = Hypothesis.Extend(hypotheses[row], token, total, output.Attention, row);
                bool ended = token == options.EndToken;
                if (ended || step == options.MaxLength - 1) results[origin[row]] = hypothesis.ToSequence(options, ended);
                else
                {
                    keep.Add(row);
                    hypotheses[row] = hypothesis;
                    previous[row] = token;
                }
            }
            state = output.State;
            if (keep.Count < origin.Length)
            {
                state = decoder.Select(output.State, keep.ToArray());
                decoder.Release(output.State, state);
            }
            origin = keep.Select(r => origin[r]).ToArray();
            hypotheses = keep.Select(r => hypotheses[r]).ToArray();
            previous = keep.Select(r => previous[r]).ToArray();
        }
        decoder.Release(state, default);
        return results;
    }

    /// <summary>Index of the largest value; the first one on a tie.</summary>
    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
