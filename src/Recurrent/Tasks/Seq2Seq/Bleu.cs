// Corpus BLEU (Papineni et al. 2002) as sacrebleu computes it by default: texts tokenised with the 13a
// tokeniser of mteval-v13a.pl, n-grams up to 4, clipped counts against the maximum count in any reference,
// the closest reference length (the shorter on a tie) for the brevity penalty, and sacrebleu's "exp"
// smoothing (the k-th n-gram order without a match gets precision 1 / (2^k · total)).
//   BLEU = 100 · BP · exp(¼ Σ_n log p_n),  BP = exp(1 − r/c) when c < r, else 1
using System.Text.RegularExpressions;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>sacrebleu-compatible corpus BLEU.</summary>
public static partial class Bleu
{
    private const int MaxOrder = 4;

    /// <summary>Corpus BLEU (0…100) of <paramref name="hypotheses"/> against each one's references.</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> references)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"Bleu.Corpus: {hypotheses.Count} hypotheses for {references.Count} reference sets.", nameof(references));
        var correct = new long[MaxOrder];
        var total = new long[MaxOrder];
        long hypothesisLength = 0, referenceLength = 0;
        for (int i = 0; i < hypotheses.Count; i++)
        {
            string[] hyp = Tokenize13a(hypotheses[i]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[][] refs = references[i].Select(r => Tokenize13a(r).Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
            hypothesisLength += hyp.Length;
            referenceLength += refs.Select(r => r.Length).OrderBy(l => Math.Abs(l - hyp.Length)).ThenBy(l => l).First();
            for (int n = 1; n <= MaxOrder; n++)
            {
                var maxReference = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (string[] r in refs)
                    foreach (var (gram, count) in NGrams(r, n))
                        maxReference[gram] = Math.Max(maxReference.GetValueOrDefault(gram), count);
                foreach (var (gram, count) in NGrams(hyp, n))
                {
                    total[n - 1] += count;
                    correct[n - 1] += Math.Min(count, maxReference.GetValueOrDefault(gram));
                }
            }
        }
        return Score(correct, total, hypothesisLength, referenceLength);
    }

    /// <summary>BLEU from n-gram statistics, with sacrebleu's exponential smoothing.</summary>
    internal static double Score(long[] correct, long[] total, long hypothesisLength, long referenceLength)
    {
        var precisions = new double[MaxOrder];
        double smooth = 1;
        for (int n = 0; n < MaxOrder; n++)
        {
            if (total[n] == 0) break;
            if (correct[n] == 0)
            {
                smooth *= 2;
                precisions[n] = 100.0 / (smooth * total[n]);
            }
            else precisions[n] = 100.0 * correct[n] / total[n];
        }
        double brevity = hypothesisLength >= referenceLength ? 1 : hypothesisLength > 0 ? Math.Exp(1 - (double)referenceLength / hypothesisLength) : 0;
        double logSum = precisions.Sum(p => p > 0 ? Math.Log(p) : -9999999999);
        return brevity * Math.Exp(logSum / MaxOrder);
    }

    /// <summary>sacrebleu's 13a tokenisation: unescape a few entities, split off punctuation and symbols, single spaces.</summary>
    public static string Tokenize13a(string line)
    {
        line = line.Replace("<skipped>", "").Replace("-\n", "").Replace("\n", " ");
        if (line.Contains('&'))
            line = line.Replace("&quot;", "\"").Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">");
        line = " " + line + " ";
        line = Symbols().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return string.Join(' ', line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static IEnumerable<(string Gram, int Count)> NGrams(string[] tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Length; i++)
        {
            string gram = string.Join(' ', tokens, i, n);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }
        return counts.Select(kv => (kv.Key, kv.Value));
    }

    [GeneratedRegex(@"([\{-\~\[-\` -\&\(-\+\:-\@\/])")]
    private static partial Regex Symbols();

    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();
}
