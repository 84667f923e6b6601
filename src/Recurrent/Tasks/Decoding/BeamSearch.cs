// Batched beam search (Sutskever et al. 2014 §3.2; the bookkeeping of fairseq's sequence generator). Every
// input keeps up to K live hypotheses, all inputs' hypotheses run as one batch through the model. At each
// step the 2K best extensions of an input's hypotheses (by total log-probability) are examined in order: an
// extension by the end token that ranks among the first K is finished; the others fill the K live slots. An
// input stops when it has K finished hypotheses or reaches the length limit (its live hypotheses then count
// as unfinished outputs). The output is the finished hypothesis with the best length-normalised score.
// Ties go to the earlier hypothesis and the lower token id, so K = 1 is exactly greedy decoding.
namespace Recurrent.Tasks.Decoding;

/// <summary>Beam search over a batch, for any <see cref="IStepDecoder{TState}"/>.</summary>
public static class BeamSearch
{
    /// <summary>The best output per input (see <see cref="DecodeAll{TState}"/>).</summary>
    public static IReadOnlyList<DecodedSequence> Decode<TState>(IStepDecoder<TState> decoder, TState initialState, int batchSize, DecodingOptions options) =>
        DecodeAll(decoder, initialState, batchSize, options).Select(list => list[0]).ToArray();

    /// <summary>Decodes <paramref name="batchSize"/> inputs, one row each in <paramref name="initialState"/>.</summary>
    /// <param name="decoder">The model.</param>
    /// <param name="initialState">State of the <paramref name="batchSize"/> rows before the first token; the search takes it over and releases it.</param>
    /// <param name="batchSize">B, the number of inputs.</param>
    /// <param name="options">Beam size K, length limit, length penalty, begin and end tokens.</param>
    /// <returns>Per input, its K (or fewer) final hypotheses, best score first.</returns>
    public static IReadOnlyList<IReadOnlyList<DecodedSequence>> DecodeAll<TState>(IStepDecoder<TState> decoder, TState initialState, int batchSize, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        int k = options.BeamSize, v = decoder.VocabularySize;
        var finished = Enumerable.Range(0, batchSize).Select(_ => new List<DecodedSequence>()).ToArray();
        // The live rows, grouped by input in input order: which input each row serves and its hypothesis.
        var rowInput = Enumerable.Range(0, batchSize).ToArray();
        var rowHypothesis = new Hypothesis?[batchSize];
        var previous = Enumerable.Repeat(options.BeginToken, batchSize).ToArray();
        TState state = initialState;
        var candidates = new List<Candidate>();
        for (int step = 0; step < options.MaxLength && rowInput.Length > 0; step++)
        {
            var output = decoder.Step(previous, state);
            decoder.Release(state, output.State);
            var logProbabilities = output.LogProbabilities.Span;
            bool last = step == options.MaxLength - 1;
            var parents = new List<int>();
            var nextHypotheses = new List<Hypothesis>();
            for (int first = 0; first < rowInput.Length;)
            {
                int input = rowInput[first], end = first;
                while (end < rowInput.Length && rowInput[end] == input) end++;
                candidates.Clear();
                for (int row = first; row < end; row++)
                    AddTopTokens(candidates, row, rowHypothesis[row]?.LogProbability ?? 0, logProbabilities.Slice(row * v, v), Math.Min(2 * k, v));
                candidates.Sort(Candidate.BestFirst);
                var liveRows = new List<int>(k);
                var liveHypotheses = new List<Hypothesis>(k);
                for (int rank = 0; rank < candidates.Count && liveRows.Count < k; rank++)
                {
                    var c = candidates[rank];
                    bool ended = c.Token == options.EndToken;
                    if (ended && rank >= k) continue;
                    var hypothesis = Hypothesis.Extend(rowHypothesis[c.Row], c.Token, c.LogProbability, output.Attention, c.Row);
                    if (ended || last) finished[input].Add(hypothesis.ToSequence(options, ended));
                    if (ended) continue;
                    liveRows.Add(c.Row);
                    liveHypotheses.Add(hypothesis);
                }
                if (!last && finished[input].Count < k)
                {
                    parents.AddRange(liveRows);
                    nextHypotheses.AddRange(liveHypotheses);
                }
                first = end;
            }
            int[] parentRows = parents.ToArray();
            state = decoder.Select(output.State, parentRows);
            decoder.Release(output.State, state);
            rowInput = parentRows.Select(r => rowInput[r]).ToArray();
            rowHypothesis = nextHypotheses.ToArray();
            previous = nextHypotheses.Select(h => h.Token).ToArray();
        }
        decoder.Release(state, default);
        return finished.Select(list => (IReadOnlyList<DecodedSequence>)list
            .Select((s, order) => (s, order)).OrderByDescending(p => p.s.Score).ThenBy(p => p.order).Select(p => p.s).Take(k).ToArray()).ToArray();
    }

    /// <summary>Adds the <paramref name="count"/> most probable tokens of one row as candidates.</summary>
    private static void AddTopTokens(List<Candidate> candidates, int row, double baseLogProbability, ReadOnlySpan<float> logProbabilities, int count)
    {
        Span<int> top = count <= 256 ? stackalloc int[count] : new int[count];
        int filled = 0;
        for (int token = 0; token < logProbabilities.Length; token++)
        {
            float value = logProbabilities[token];
            if (filled == count && !(value > logProbabilities[top[filled - 1]])) continue;
            int at = filled < count ? filled++ : count - 1;
            while (at > 0 && value > logProbabilities[top[at - 1]]) { top[at] = top[at - 1]; at--; }
            top[at] = token;
        }
        for (int i = 0; i < filled; i++)
            candidates.Add(new Candidate(row, top[i], baseLogProbability + logProbabilities[top[i]]));
    }

    private readonly record struct Candidate(int Row, int Token, double LogProbability)
    {
        /// <summary>Higher log-probability first; then the earlier row, then the lower token id.</summary>
        public static readonly Comparison<Candidate> BestFirst = (a, b) =>
        {
            int c = b.LogProbability.CompareTo(a.LogProbability);
            if (c != 0) return c;
            c = a.Row.CompareTo(b.Row);
            return c != 0 ? c : a.Token.CompareTo(b.Token);
        };
    }
}
