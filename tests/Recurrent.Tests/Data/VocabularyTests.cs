using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class VocabularyTests
{
    private static readonly string[] Reserved = ["<pad>", "<unk>", "<bos>", "<eos>"];

    [Fact]
    public void ReservedTokens_HaveFixedIds()
    {
        var vocabulary = Vocabulary.Build(["x"]);

        Assert.Equal(0, Vocabulary.PadId);
        Assert.Equal(1, Vocabulary.UnknownId);
        Assert.Equal(2, Vocabulary.BosId);
        Assert.Equal(3, Vocabulary.EosId);
        Assert.Equal(Vocabulary.PadId, vocabulary.IdOf(Vocabulary.PadToken));
        Assert.Equal(Vocabulary.UnknownId, vocabulary.IdOf(Vocabulary.UnknownToken));
        Assert.Equal(Vocabulary.BosId, vocabulary.IdOf(Vocabulary.BosToken));
        Assert.Equal(Vocabulary.EosId, vocabulary.IdOf(Vocabulary.EosToken));
        Assert.Equal(Reserved, vocabulary.Tokens.Take(4));
        Assert.Equal("<unk>", vocabulary[1]);
    }

    [Fact]
    public void Build_OrdersByDescendingFrequency_ThenOrdinally()
    {
        string[] tokens = ["b", "a", "c", "B", "a", "c", "d", "a", "é", "b", "e"];

        var vocabulary = Vocabulary.Build(tokens);

        // a×3; b, c ×2 (ordinal: b < c); then the singletons B < d < e < é by code point.
        Assert.Equal([.. Reserved, "a", "b", "c", "B", "d", "e", "é"], vocabulary.Tokens);
        Assert.Equal(11, vocabulary.Count);
        Assert.Equal(4, vocabulary.IdOf("a"));
    }

    [Fact]
    public void Build_IsIndependentOfInputOrder()
    {
        string[] tokens = ["x", "y", "z", "y", "w", "x", "v"];

        var forward = Vocabulary.Build(tokens);
        var backward = Vocabulary.Build(tokens.Reverse());

        Assert.Equal(forward.Tokens, backward.Tokens);
    }

    [Fact]
    public void Build_MaxSizeCountsReservedTokens_AndDropsTheRarest()
    {
        var vocabulary = Vocabulary.Build(["a", "a", "a", "b", "b", "c"], maxSize: 6);

        Assert.Equal([.. Reserved, "a", "b"], vocabulary.Tokens);
        Assert.False(vocabulary.Contains("c"));
    }

    [Fact]
    public void Build_MinFrequency_DropsRareTokens()
    {
        var vocabulary = Vocabulary.Build(["a", "a", "b", "c", "c", "c"], minFrequency: 2);

        Assert.Equal([.. Reserved, "c", "a"], vocabulary.Tokens);
    }

    [Fact]
    public void Build_ReservedStringsInTheText_MapToTheReservedIds()
    {
        var vocabulary = Vocabulary.Build(["the", "<unk>", "<unk>", "<unk>", "cat", "<eos>"]);

        Assert.Equal([.. Reserved, "cat", "the"], vocabulary.Tokens);
    }

    [Fact]
    public void Build_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(["a"], maxSize: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(["a"], minFrequency: 0));
        Assert.Throws<ArgumentNullException>(() => Vocabulary.Build(null!));
        Assert.Throws<ArgumentNullException>(() => Vocabulary.Build(["a", null!]));
    }

    [Fact]
    public void Encode_UnknownTokens_BecomeUnknownId_AndAreCounted()
    {
        var vocabulary = Vocabulary.Build(["a", "b", "a"]);

        int[] ids = vocabulary.Encode(["a", "zz", "b", "<unk>", "yy", "<eos>"], out int unknown);

        Assert.Equal([4, 1, 5, 1, 1, 3], ids);
        Assert.Equal(2, unknown);
        Assert.Equal(Vocabulary.UnknownId, vocabulary.IdOf("zz"));
        Assert.False(vocabulary.Contains("zz"));
        Assert.True(vocabulary.Contains("<pad>"));
    }

    [Fact]
    public void Indexer_OutOfRange_Throws()
    {
        var vocabulary = Vocabulary.Build(["a"]);

        Assert.Equal("a", vocabulary[4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => vocabulary[-1]);
    }

    [Fact]
    public void Tokens_CannotBeChangedThroughTheList()
    {
        var vocabulary = Vocabulary.Build(["a"]);

        Assert.False(vocabulary.Tokens is string[]);
    }

    [Fact]
    public void FromTokens_RoundTrip_GivesTheSameIds()
    {
        var built = Vocabulary.Build("the cat sat on the mat with the hat".Split(' '));

        var loaded = Vocabulary.FromTokens([.. built.Tokens]);

        Assert.Equal(built.Tokens, loaded.Tokens);
        foreach (string token in built.Tokens) Assert.Equal(built.IdOf(token), loaded.IdOf(token));
    }

    [Fact]
    public void FromTokens_WrongReservedPrefix_IsADataError()
    {
        var e = Assert.Throws<RecurrentDataException>(() => Vocabulary.FromTokens(["<pad>", "<bos>", "<unk>", "<eos>", "a"], "model/config.json"));

        Assert.StartsWith("model/config.json: vocabulary token 1 is \"<bos>\", expected the reserved \"<unk>\"", e.Message);
    }

    [Fact]
    public void FromTokens_TooFewTokens_IsADataError()
    {
        var e = Assert.Throws<RecurrentDataException>(() => Vocabulary.FromTokens(["<pad>", "<unk>"]));

        Assert.Contains("has 2 token(s), expected at least the 4 reserved ones", e.Message);
    }

    [Fact]
    public void FromTokens_Duplicate_IsADataError()
    {
        var e = Assert.Throws<RecurrentDataException>(() => Vocabulary.FromTokens([.. Reserved, "a", "b", "a"]));

        Assert.Contains("token \"a\" appears twice (ids 4 and 6)", e.Message);
    }

    [Fact]
    public void FromTokens_ReservedTokenRepeatedLater_IsADataError()
    {
        Assert.Throws<RecurrentDataException>(() => Vocabulary.FromTokens([.. Reserved, "<unk>"]));
    }

    [Fact]
    public void FromTokens_NullToken_IsADataError()
    {
        Assert.Throws<RecurrentDataException>(() => Vocabulary.FromTokens([.. Reserved, null!]));
    }
}
