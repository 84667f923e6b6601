using Recurrent.Cli.Output;

namespace Recurrent.Tests.Cli.Output;

public sealed class FormattingTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(0.5, "0.5")]
    [InlineData(1.234, "1.23")]
    [InlineData(950, "950")]
    [InlineData(999.4, "999")]
    [InlineData(999.6, "1k")]
    [InlineData(12_300, "12.3k")]
    [InlineData(12_345, "12.3k")]
    [InlineData(-12_345, "-12.3k")]
    [InlineData(123_456, "123k")]
    [InlineData(999_950, "1M")]
    [InlineData(1_234_567, "1.23M")]
    [InlineData(1.5e9, "1.5G")]
    [InlineData(2e12, "2T")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "∞")]
    public void Compact_GivesThreeSignificantDigitsAndASuffix(double value, string expected) =>
        Assert.Equal(expected, Formatting.Compact(value));

    [Theory]
    [InlineData(0, "0:00")]
    [InlineData(5, "0:05")]
    [InlineData(59.4, "0:59")]
    [InlineData(59.6, "1:00")]
    [InlineData(195, "3:15")]
    [InlineData(3599, "59:59")]
    [InlineData(3723, "1:02:03")]
    [InlineData(360_000, "100:00:00")]
    [InlineData(-3, "0:00")]
    [InlineData(double.NaN, "?")]
    [InlineData(double.PositiveInfinity, "?")]
    public void Duration_IsMinutesSecondsBelowAnHour_AndHoursAbove(double seconds, string expected) =>
        Assert.Equal(expected, Formatting.Duration(seconds));

    [Fact]
    public void Duration_OfTimeSpan_MatchesSeconds() =>
        Assert.Equal("1:02:03", Formatting.Duration(new TimeSpan(1, 2, 3)));

    [Theory]
    [InlineData(0.002, "2.0e-3")]
    [InlineData(0.0003, "3.0e-4")]
    [InlineData(0.1, "1.0e-1")]
    [InlineData(1.5, "1.5e0")]
    [InlineData(0, "0")]
    public void Scientific_WritesLearningRatesWithOneDecimal(double value, string expected) =>
        Assert.Equal(expected, Formatting.Scientific(value));

    [Theory]
    [InlineData(1.2345, 3, "1.234")]
    [InlineData(2, 1, "2.0")]
    public void Fixed_UsesInvariantDecimals(double value, int decimals, string expected) =>
        Assert.Equal(expected, Formatting.Fixed(value, decimals));

    [Theory]
    [InlineData("plain text, é ü 😀", "plain text, é ü 😀")]
    [InlineData("a\nb", "a⏎b")]
    [InlineData("a\tb", "a⇥b")]
    [InlineData("a\r\nb", "a␍⏎b")]
    [InlineData("\u001b[31m", "␛[31m")]
    [InlineData("\0", "␀")]
    [InlineData("\u007f", "␡")]
    [InlineData("\u0085", "·")]
    [InlineData("", "")]
    public void Visible_ReplacesControlCharacters(string text, string expected) =>
        Assert.Equal(expected, Formatting.Visible(text));

    [Theory]
    [InlineData("hello", 5, "hello")]
    [InlineData("hello world", 5, "hell…")]
    [InlineData("abc", 1, "…")]
    [InlineData("ab😀cd", 4, "ab…")]
    public void Truncate_CutsWithAnEllipsis_NeverInsideASurrogatePair(string text, int maxLength, string expected)
    {
        string cut = Formatting.Truncate(text, maxLength);
        Assert.Equal(expected, cut);
        Assert.True(cut.Length <= maxLength, $"length {cut.Length} exceeds {maxLength}");
    }

    [Fact]
    public void Truncate_ZeroLength_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Formatting.Truncate("abc", 0));
}
