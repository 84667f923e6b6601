using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class TokenizerTests
{
    [Fact]
    public void CharacterTokenizer_EmojiOutsideTheBmp_IsOneToken()
    {
        var tokenizer = new CharacterTokenizer();

        string[] tokens = [.. tokenizer.Split("a😀b")];

        Assert.Equal(["a", "😀", "b"], tokens);
    }

    [Fact]
    public void CharacterTokenizer_CombiningMark_IsItsOwnToken()
    {
        var tokenizer = new CharacterTokenizer();

        // "e" + COMBINING ACUTE ACCENT, then a flag made of two regional indicators: one token per scalar value.
        string[] tokens = [.. tokenizer.Split("e\u0301🇫🇷\n")];

        Assert.Equal(["e", "\u0301", "🇫", "🇷", "\n"], tokens);
    }

    [Fact]
    public void CharacterTokenizer_Join_ConcatenatesAndRoundTrips()
    {
        var tokenizer = new CharacterTokenizer();
        const string text = "Héllo, 世界 😀!\n\te\u0301";

        Assert.Equal(text, tokenizer.Join(tokenizer.Split(text)));
        Assert.Equal(TokenizerKind.Character, tokenizer.Kind);
    }

    [Fact]
    public void CharacterTokenizer_LoneSurrogate_BecomesReplacementCharacter()
    {
        Assert.Equal(["a", "\uFFFD", "b"], new CharacterTokenizer().Split("a\uD800b"));
    }

    [Fact]
    public void CharacterTokenizer_EmptyText_GivesNoTokens()
    {
        Assert.Empty(new CharacterTokenizer().Split(""));
    }

    [Fact]
    public void WordTokenizer_SplitsOnWhitespace_AndKeepsEachNewline()
    {
        var tokenizer = new WordTokenizer();

        string[] tokens = [.. tokenizer.Split("  The cat\tsat.\n\nOn  the mat \n")];

        Assert.Equal(["The", "cat", "sat.", "\n", "\n", "On", "the", "mat", "\n"], tokens);
    }

    [Fact]
    public void WordTokenizer_Join_PutsSingleSpacesBetweenWordsAndNoneAroundNewlines()
    {
        var tokenizer = new WordTokenizer();

        Assert.Equal("The cat\n\nsat on\nit", tokenizer.Join(["The", "cat", "\n", "\n", "sat", "on", "\n", "it"]));
        Assert.Equal(TokenizerKind.Word, tokenizer.Kind);
    }

    [Fact]
    public void WordTokenizer_SplitJoin_RoundTripKeepsNewlines()
    {
        var tokenizer = new WordTokenizer();
        const string text = "First line here\nsecond line\n\nafter a blank line\n";

        Assert.Equal(text, tokenizer.Join(tokenizer.Split(text)));
    }

    [Fact]
    public void WordTokenizer_SplitOfJoin_GivesTheSameTokens()
    {
        var tokenizer = new WordTokenizer();
        string[] tokens = [.. tokenizer.Split(" a  b\t\r\n c \n\n\td ")];

        Assert.Equal(tokens, tokenizer.Split(tokenizer.Join(tokens)));
        Assert.Equal(["a", "b", "\n", "c", "\n", "\n", "d"], tokens);
    }

    [Fact]
    public void WordTokenizer_WhitespaceOnly_GivesOnlyNewlines()
    {
        Assert.Empty(new WordTokenizer().Split(" \t "));
        Assert.Equal(["\n"], new WordTokenizer().Split(" \n "));
    }

    [Fact]
    public void Tokenizers_Create_GivesTheKindAsked()
    {
        Assert.IsType<CharacterTokenizer>(Tokenizers.Create(TokenizerKind.Character));
        Assert.IsType<WordTokenizer>(Tokenizers.Create(TokenizerKind.Word));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizers.Create((TokenizerKind)42));
    }

    [Fact]
    public void Tokenizers_NullArguments_Throw()
    {
        foreach (var kind in Enum.GetValues<TokenizerKind>())
        {
            var tokenizer = Tokenizers.Create(kind);
            Assert.Throws<ArgumentNullException>(() => tokenizer.Split(null!));
            Assert.Throws<ArgumentNullException>(() => tokenizer.Join(null!));
        }
    }
}
