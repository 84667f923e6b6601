// Corpus BLEU (Papineni et al. 2002) as multi-bleu.perl and NLTK's corpus_bleu compute it: for each n,
// clipped n-gram matches summed over the corpus (a candidate n-gram counts at most as often as it appears in
// the reference that has it most) over candidate n-grams summed over the corpus; the brevity penalty
// BP = exp(1 − r/c) when c < r, with c the total candidate length and r the sum over candidates of the
// reference length closest to the candidate's (the shorter on a tie). BLEU-N = BP · exp(Σ_{n≤N} log p_n / N),
// and 0 when any p_n is 0 (no smoothing).
namespace Recurrent.Tasks.Captioning;

/// <summary>BLEU-1…4 of a corpus and the counts behind them.</summary>
public sealed record BleuScores(double Bleu1, double Bleu2, double Bleu3, double Bleu4, double BrevityPenalty, long CandidateLength, long ReferenceLength)
{
    /// <summary>Scores tokenised candidates, each against all of its references.</summary>
    /// <exception cref="ArgumentException">Counts differ or a candidate has no reference.</exception>
    public static BleuScores Compute(IReadOnlyList<IReadOnlyList<string>> candidates, IReadOnlyList<IReadOnlyList<IReadOnlyList<string>>> references)
    {
        if (candidates.Count != references.Count)
            throw new ArgumentException($"BLEU: {candidates.Count} candidates but {references.Count} reference sets.");
        var matches = new long[4];
        var totals = new long[4];
        long c = 0, r = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            IReadOnlyList<string> candidate = candidates[i];
            if (references[i].Count == 0) throw new ArgumentException($"BLEU: candidate {i} has no reference.");
            c += candidate.Count;
            r += references[i].Select(x => x.Count).OrderBy(len => Math.Abs(len - candidate.Count)).ThenBy(len => len).First();
            for (int n = 1; n <= 4; n++)
            {
                Dictionary<string, int> counts = NGrams(candidate, n);
                var maxReference = new Dictionary<string, int>();
                foreach (IReadOnlyList<string> reference in references[i])
                    foreach (var (gram, count) in NGrams(reference, n))
                        maxReference[gram] = Math.Max(maxReference.GetValueOrDefault(gram), count);
                foreach (var (gram, count) in counts) matches[n - 1] += Math.Min(count, maxReference.GetValueOrDefault(gram));
                totals[n - 1] += Math.Max(0, candidate.Count - n + 1);
            }
        }
        double bp = c == 0 ? 0 : c >= r ? 1 : Math.Exp(1 - (double)r / c);
        double Score(int order)
        {
            double logSum = 0;
            for (int n = 0; n < order; n++)
            {
                if (matches[n] == 0 || totals[n] == 0) return 0;
                logSum += Math.Log((double)matches[n] / totals[n]);
            }
            return bp * Math.Exp(logSum / order);
        }
        return new BleuScores(Score(1), Score(2), Score(3), Score(4), bp, c, r);
    }

    private static Dictionary<string, int> NGrams(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            string gram = string.Join('\u0001', Enumerable.Range(i, n).Select(k => tokens[k]));
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts;
    }
}
