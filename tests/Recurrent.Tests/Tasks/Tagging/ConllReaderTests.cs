using Recurrent.Tasks.Tagging;

namespace Recurrent.Tests.Tasks.Tagging;

public sealed class ConllReaderTests
{
    private static IReadOnlyList<TaggedSequence> Parse(string text, ConllColumns? columns = null, bool withTags = true) =>
        ConllReader.Parse(new StringReader(text), "x.conll", columns ?? new ConllColumns(), withTags);

    [Fact]
    public void SpacesAndDocstart_ReadLastColumnAsTag()
    {
        var s = Parse("-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\nPeter NNP B-NP B-PER\n");
        Assert.Equal(2, s.Count);
        Assert.Equal(["EU", "rejects"], s[0].Tokens);
        Assert.Equal(["B-ORG", "O"], s[0].Tags!);
        Assert.Equal("x.conll: line 3", s[0].Source);
        Assert.Equal(["B-PER"], s[1].Tags!);
    }

    [Fact]
    public void Tabs_KeepSpacesInsideTokens_AndColumnsCanBeChosen()
    {
        var s = Parse("New York\tNNP\tB-LOC\nis\tVBZ\tO\n", new ConllColumns(1, 2));
        Assert.Equal(["New York", "is"], s[0].Tokens);
        Assert.Equal(["NNP", "VBZ"], s[0].Tags!);
    }

    [Fact]
    public void MissingTagColumn_NamesFileAndLine()
    {
        var e = Assert.Throws<RecurrentDataException>(() => Parse("a\tP\tB-X\nb\tP\tO\n\nc\tP\n", new ConllColumns(1, 3)));
        Assert.Contains("x.conll: line 4", e.Message);
        Assert.Contains("--tag-column 3", e.Message);
        Assert.Contains("line 2 has one column", Assert.Throws<RecurrentDataException>(() => Parse("a\tB-X\nb\n")).Message);
    }

    [Fact]
    public void WithoutTags_OnlyTheTokenIsNeeded()
    {
        var s = Parse("a\nb\n\nc\n", withTags: false);
        Assert.Equal(2, s.Count);
        Assert.Null(s[0].Tags);
    }

    [Fact]
    public void EmptyInput_IsAnError()
    {
        var e = Assert.Throws<RecurrentDataException>(() => Parse("\n\n"));
        Assert.Contains("no tokens", e.Message);
    }

    [Fact]
    public void Truecase_TagsUpperCaseAndMarksSpaces()
    {
        var s = TruecaseData.Sequences("Call me Ishmael.  Some years ago -\nnever mind how long.", 100, "t");
        Assert.Equal(2, s.Count);
        Assert.Equal("c a l l <sp> m e", string.Join(' ', s[0].Tokens.Take(7)));
        Assert.Equal("U O O O O O O", string.Join(' ', s[0].Tags!.Take(7)));
        Assert.Equal("Call me Ishmael.", TruecaseData.Apply(s[0].Tokens, s[0].Tags!));
        Assert.Equal("Some years ago - never mind how long.", TruecaseData.Apply(s[1].Tokens, s[1].Tags!));
        var bounded = TruecaseData.Sequences("aaaa bbbb cccc dddd", 10, "t");
        Assert.All(bounded, q => Assert.True(q.Tokens.Length <= 10));
        Assert.Equal("aaaa bbbb|cccc dddd", string.Join('|', bounded.Select(q => TruecaseData.Apply(q.Tokens, q.Tags!))));
    }
}
