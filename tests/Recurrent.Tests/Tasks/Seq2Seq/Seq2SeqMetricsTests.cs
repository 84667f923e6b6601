using Recurrent.Tasks.Seq2Seq;

namespace Recurrent.Tests.Tasks.Seq2Seq;

public sealed class Seq2SeqMetricsTests
{
    private static string[] T(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("", "", 0)]
    [InlineData("K AE T", "K AE T", 0)]
    [InlineData("K AE T", "", 3)]
    [InlineData("K AE T", "K AH T", 1)]
    [InlineData("K AE T S", "K AE T", 1)]
    [InlineData("S IH T IH NG", "K IH T AH N", 3)]
    public void EditDistance_MatchesHandCounts(string a, string b, int expected)
    {
        Assert.Equal(expected, Seq2SeqMetrics.EditDistance(T(a), T(b)));
        Assert.Equal(expected, Seq2SeqMetrics.EditDistance(T(b), T(a)));
    }

    [Fact]
    public void Scores_UseTheClosestAlternative()
    {
        // Example 1 matches its second alternative exactly; example 2 is one substitution from "R EH D"
        // (3 tokens) and two from "R IY D Z" (4 tokens): the closest counts, so TER = (0 + 1) / (6 + 3).
        string[][] outputs = [T("T AH M EY T OW"), T("R AA D")];
        IReadOnlyList<string[]>[] references = [[T("T AH M AA T OW"), T("T AH M EY T OW")], [T("R IY D Z"), T("R EH D")]];
        var scores = Seq2SeqMetrics.Score(outputs, references, outputs.Select(o => string.Join(' ', o)).ToArray(),
            references.Select(r => (IReadOnlyList<string>)r.Select(x => string.Join(' ', x)).ToArray()).ToArray());
        Assert.Equal(0.5, scores.ExactMatch);
        Assert.Equal(0.5, scores.SequenceErrorRate);
        Assert.Equal(1.0 / 9, scores.TokenErrorRate, 12);
        Assert.Equal(2, scores.Examples);
    }

    [Theory]
    [InlineData("Hello, world.", "Hello , world .")]
    [InlineData("It costs $3.50, or 1,000-2,000 yen!", "It costs $ 3.50 , or 1,000 - 2,000 yen !")]
    [InlineData("a &amp; b &lt;c&gt; \"q\"", "a & b < c > \" q \"")]
    [InlineData("don't (see) e-mail", "don't ( see ) e-mail")]
    public void Tokenize13a_SplitsAsSacrebleu(string line, string expected) => Assert.Equal(expected, Bleu.Tokenize13a(line));

    [Fact]
    public void Bleu_IdenticalCorpus_Is100()
    {
        Assert.Equal(100, Bleu.Corpus(["the cat sat on the mat"], [["the cat sat on the mat"]]), 9);
    }

    [Fact]
    public void Bleu_MatchesAHandComputedCase()
    {
        // Hypothesis "the cat sat on mat" (5 tokens) against "the cat sat on the mat" (6):
        // 1-grams 5/5, 2-grams 3/4 (the cat, cat sat, sat on), 3-grams 2/3, 4-grams 1/2;
        // BP = exp(1 − 6/5). BLEU = 100 · BP · (1 · 3/4 · 2/3 · 1/2)^(1/4).
        double expected = 100 * Math.Exp(1 - 6.0 / 5) * Math.Pow(1.0 * 0.75 * (2.0 / 3) * 0.5, 0.25);
        Assert.Equal(expected, Bleu.Corpus(["the cat sat on mat"], [["the cat sat on the mat"]]), 9);
    }

    [Fact]
    public void Bleu_SmoothsMissingOrders_AndClipsAgainstTheBestReference()
    {
        // "a b c d" vs refs "a b x x" and "c d y y": 1-grams 4/4, 2-grams 2/3 (a b, c d), 3-grams 0/2, 4-grams 0/1.
        // sacrebleu's exp smoothing: p3 = 1/(2·2), p4 = 1/(4·1); closest reference length 4, so BP = 1.
        double expected = 100 * Math.Pow(1.0 * (2.0 / 3) * (1.0 / 4) * (1.0 / 4), 0.25);
        Assert.Equal(expected, Bleu.Corpus(["a b c d"], [["a b x x", "c d y y"]]), 9);
        Assert.Equal(0, Bleu.Corpus([""], [["a b"]]));
    }
}
