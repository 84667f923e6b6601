// Evaluation of sequence outputs against references with alternatives.
//   exact match: the output's tokens equal one alternative's tokens;  SER = 1 − exact match (G2P's "WER")
//   TER = Σ_i min_alt edit(out_i, alt) / Σ_i |closest alt_i|   (token edit rate: G2P's "PER", CER for characters),
//         the closest alternative being the one with the fewest edits (the shorter on a tie)
//   BLEU: corpus BLEU on the detokenised texts with sacrebleu's defaults (13a tokenisation, exponential
//         smoothing, closest reference length), see Bleu.
namespace Recurrent.Tasks.Seq2Seq;

/// <summary>Scores of a set of outputs.</summary>
/// <param name="ExactMatch">Fraction of outputs equal to one of their alternatives.</param>
/// <param name="TokenErrorRate">Token edits per reference token, against the closest alternative.</param>
/// <param name="Bleu">Corpus BLEU, 0…100.</param>
/// <param name="Examples">Number of outputs.</param>
public sealed record Seq2SeqScores(double ExactMatch, double TokenErrorRate, double Bleu, int Examples)
{
    /// <summary>Sequence error rate, 1 − exact match.</summary>
    public double SequenceErrorRate => 1 - ExactMatch;
}

/// <summary>Computes <see cref="Seq2SeqScores"/>.</summary>
public static class Seq2SeqMetrics
{
    /// <summary>Scores outputs against their references.</summary>
    /// <param name="outputs">Per example, the output's tokens.</param>
    /// <param name="references">Per example, the tokens of each alternative (at least one).</param>
    /// <param name="outputTexts">Per example, the output as text (for BLEU).</param>
    /// <param name="referenceTexts">Per example, each alternative as text (for BLEU).</param>
    public static Seq2SeqScores Score(IReadOnlyList<string[]> outputs, IReadOnlyList<IReadOnlyList<string[]>> references,
        IReadOnlyList<string> outputTexts, IReadOnlyList<IReadOnlyList<string>> referenceTexts)
    {
        if (outputs.Count != references.Count)
            throw new ArgumentException($"Seq2SeqMetrics.Score: {outputs.Count} outputs for {references.Count} references.", nameof(references));
        int exact = 0;
        long edits = 0, referenceTokens = 0;
        for (int i = 0; i < outputs.Count; i++)
        {
            var (distance, length) = Closest(outputs[i], references[i]);
            if (distance == 0) exact++;
            edits += distance;
            referenceTokens += length;
        }
        int n = outputs.Count;
        return new Seq2SeqScores(n == 0 ? 0 : (double)exact / n, referenceTokens == 0 ? 0 : (double)edits / referenceTokens,
            Bleu.Corpus(outputTexts, referenceTexts), n);
    }

    /// <summary>The fewest edits from <paramref name="output"/> to an alternative and that alternative's length (the shorter on a tie).</summary>
    public static (int Distance, int Length) Closest(string[] output, IReadOnlyList<string[]> alternatives)
    {
        if (alternatives.Count == 0) throw new ArgumentException("Seq2SeqMetrics: an example has no reference.", nameof(alternatives));
        (int Distance, int Length) best = (int.MaxValue, 0);
        foreach (string[] reference in alternatives)
        {
            int d = EditDistance(output, reference);
            if (d < best.Distance || (d == best.Distance && reference.Length < best.Length)) best = (d, reference.Length);
        }
        return best;
    }

    /// <summary>Levenshtein distance between token sequences: insertions, deletions and substitutions cost 1.</summary>
    public static int EditDistance(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int j = 0; j <= b.Count; j++) previous[j] = j;
        for (int i = 1; i <= a.Count; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Count; j++)
            {
                int substitute = previous[j - 1] + (string.Equals(a[i - 1], b[j - 1], StringComparison.Ordinal) ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
