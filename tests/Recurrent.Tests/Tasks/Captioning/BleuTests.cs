using Recurrent.Tasks.Captioning;

namespace Recurrent.Tests.Tasks.Captioning;

/// <summary>Corpus BLEU on cases counted by hand (clipped n-gram matches, closest reference length).</summary>
public sealed class BleuTests
{
    private static BleuScores Score(params (string Candidate, string[] References)[] corpus) => BleuScores.Compute(
        corpus.Select(c => (IReadOnlyList<string>)c.Candidate.Split(' ')).ToArray(),
        corpus.Select(c => (IReadOnlyList<IReadOnlyList<string>>)c.References.Select(r => (IReadOnlyList<string>)r.Split(' ')).ToArray()).ToArray());

    [Fact]
    public void IdenticalCaption_ScoresOne()
    {
        BleuScores b = Score(("a red circle above a blue square", ["a red circle above a blue square"]));
        Assert.Equal((1.0, 1.0, 1.0, 1.0), (b.Bleu1, b.Bleu2, b.Bleu3, b.Bleu4));
    }

    [Fact]
    public void RepeatedWord_IsClippedToItsReferenceCount()
    {
        // Papineni's example: "the" ×7 against a reference with two "the": p1 = 2/7, no bigram matches.
        BleuScores b = Score(("the the the the the the the", ["the cat is on the mat"]));
        Assert.Equal(2.0 / 7, b.Bleu1, 12);
        Assert.Equal(0, b.Bleu2);
        Assert.Equal(1, b.BrevityPenalty);
    }

    [Fact]
    public void TwoReferences_MatchEachNGramAgainstTheBestReference()
    {
        // p1 = 6/7 (blue unmatched), p2 = 4/6, p3 = 3/5, p4 = 2/4, both references 7 long: BP = 1.
        BleuScores b = Score(("a red circle above a blue square", ["a red circle above a green square", "a green square below a red circle"]));
        Assert.Equal(6.0 / 7, b.Bleu1, 12);
        Assert.Equal(Math.Sqrt(4.0 / 7), b.Bleu2, 12);
        Assert.Equal(Math.Pow(12.0 / 35, 1.0 / 3), b.Bleu3, 12);
        Assert.Equal(Math.Pow(6.0 / 35, 0.25), b.Bleu4, 12);
    }

    [Fact]
    public void Corpus_SumsCountsAndPenalisesShortCandidates()
    {
        // Second candidate (3 words): closest reference is 5 long. c = 10, r = 12: BP = exp(1 − 12/10).
        // p1 = 9/10, p2 = 6/8, p3 = 4/6, p4 = 2/4 (the short candidate has no 4-gram).
        BleuScores b = Score(
            ("a red circle above a blue square", ["a red circle above a green square", "a green square below a red circle"]),
            ("a red circle", ["a red circle above a green square", "a red circle is here"]));
        double bp = Math.Exp(1 - 12.0 / 10);
        Assert.Equal((10, 12), (b.CandidateLength, b.ReferenceLength));
        Assert.Equal(bp, b.BrevityPenalty, 12);
        Assert.Equal(bp * 0.9, b.Bleu1, 12);
        Assert.Equal(bp * Math.Pow(0.9 * 0.75 * (4.0 / 6) * 0.5, 0.25), b.Bleu4, 12);
    }

    [Fact]
    public void ReferenceLengthTie_TakesTheShorter()
    {
        BleuScores b = Score(("w x y z", ["w x y", "w x y z v"]));
        Assert.Equal(3, b.ReferenceLength);
        Assert.Equal(1, b.BrevityPenalty);
    }
}
