using Recurrent.Tasks.Tagging;

namespace Recurrent.Tests.Tasks.Tagging;

/// <summary>conlleval's span counting on cases worked out by hand from conlleval.pl's rules.</summary>
public sealed class ConllEvalTests
{
    private static SpanMetrics Score(bool raw, params (string Gold, string Guess)[] sequences) =>
        SpanMetrics.Compute(sequences.Select(s => ((IReadOnlyList<string>)s.Gold.Split(' '), (IReadOnlyList<string>)s.Guess.Split(' '))), raw);

    [Fact]
    public void Iob2_WrongTypeCountsAsFoundButNotCorrect()
    {
        // gold PER(0-1) LOC(3); guess PER(0-1) ORG(3): 1 correct of 2 found, 2 gold.
        SpanMetrics m = Score(false, ("B-PER I-PER O B-LOC", "B-PER I-PER O B-ORG"));
        Assert.Equal((2, 2, 1), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
        Assert.Equal(0.5, m.F1, 12);
        Assert.Equal(0.75, m.TokenAccuracy, 12);
        Assert.Equal(new SpanScores(1, 1, 1, 1), m.PerType["PER"]);
        Assert.Equal(new SpanScores(0, 0, 0, 1), m.PerType["LOC"]);
        Assert.Equal(new SpanScores(0, 0, 0, 0), m.PerType["ORG"]);
    }

    [Fact]
    public void ChunkEndingEarly_IsNotCorrect()
    {
        SpanMetrics m = Score(false, ("B-PER I-PER I-PER O", "B-PER I-PER O O"));
        Assert.Equal((1, 1, 0), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
        Assert.Equal(0, m.F1);
        Assert.Equal(0.75, m.TokenAccuracy, 12);
    }

    [Fact]
    public void Iob1_IAfterOStartsAChunk_BSplitsOne()
    {
        // gold: PER(0-1) PER(2) LOC(4) = 3 chunks; guess: PER(0-2) LOC(4) = 2; only LOC ends together.
        SpanMetrics m = Score(false, ("I-PER I-PER B-PER O I-LOC", "I-PER I-PER I-PER O B-LOC"));
        Assert.Equal((3, 2, 1), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
        Assert.Equal(0.5, m.Precision, 12);
        Assert.Equal(1.0 / 3, m.Recall, 12);
        Assert.Equal(0.4, m.F1, 12);
        Assert.Equal(0.6, m.TokenAccuracy, 12);
    }

    [Fact]
    public void SequenceBoundary_ClosesAChunk()
    {
        // Without the boundary, B-PER then I-PER would be one chunk; with it they are two.
        SpanMetrics m = Score(false, ("B-PER", "B-PER"), ("I-PER", "I-PER"));
        Assert.Equal((2, 2, 2), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
        Assert.Equal(1, m.F1);
    }

    [Fact]
    public void TypeChangeInsideIRun_StartsANewChunk()
    {
        // conlleval: a change of type ends and starts a chunk even without B.
        SpanMetrics m = Score(false, ("I-PER I-LOC", "I-PER I-PER"));
        Assert.Equal((2, 1, 0), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
    }

    [Fact]
    public void RawTags_EveryNonOTokenIsAChunk()
    {
        // conlleval -r: gold U at 0, 2, 3; guess U at 0, 1, 3; tokens 0 and 3 agree.
        SpanMetrics m = Score(true, ("U O U U", "U U O U"));
        Assert.Equal((3, 3, 2), (m.GoldChunks, m.GuessedChunks, m.CorrectChunks));
        Assert.Equal(2.0 / 3, m.F1, 12);
        Assert.Equal(0.5, m.TokenAccuracy, 12);
        Assert.Equal(2.0 / 3, m.PerType["U"].F1, 12);
    }

    [Fact]
    public void PlainTagsWithoutRaw_FormNoChunks()
    {
        SpanMetrics m = Score(false, ("U O U", "U O U"));
        Assert.Equal(0, m.GoldChunks);
        Assert.Equal(1, m.TokenAccuracy);
        Assert.True(TaggingConfig.LooksRaw(["U", "O"]));
        Assert.False(TaggingConfig.LooksRaw(["O", "B-PER", "I-PER", "E-LOC", "S-X"]));
    }

    [Fact]
    public void Parse_SplitsAtTheFirstHyphen()
    {
        Assert.Equal(("B", "MISC-X"), SpanMetrics.Parse("B-MISC-X", false));
        Assert.Equal(("O", ""), SpanMetrics.Parse("O", true));
        Assert.Equal(("B", "NN"), SpanMetrics.Parse("NN", true));
    }
}
