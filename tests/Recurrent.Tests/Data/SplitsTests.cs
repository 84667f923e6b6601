using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class SplitsTests
{
    private static int[] Range(int n) => [.. Enumerable.Range(0, n)];

    [Theory]
    [InlineData(100, 0.1, 90, 10)]
    [InlineData(10, 0.5, 5, 5)]
    [InlineData(7, 0.25, 5, 2)]   // 1.75 rounds to 2
    [InlineData(3, 0.5, 1, 2)]    // 1.5 rounds away from zero
    [InlineData(21, 0.05, 20, 1)] // 1.05 rounds to 1
    public void TailSplit_Sizes(int n, double fraction, int train, int valid)
    {
        var (trainPart, validPart) = Splits.TailSplit(Range(n), fraction);

        Assert.Equal(train, trainPart.Length);
        Assert.Equal(valid, validPart.Length);
    }

    [Fact]
    public void TailSplit_TakesTheTail_InOrder()
    {
        var (train, valid) = Splits.TailSplit(Range(10), 0.3);

        Assert.Equal([0, 1, 2, 3, 4, 5, 6], train);
        Assert.Equal([7, 8, 9], valid);
    }

    [Fact]
    public void TailSplit_ReturnsCopies()
    {
        int[] tokens = Range(10);
        var (train, valid) = Splits.TailSplit(tokens, 0.5);

        train[0] = -1;
        valid[0] = -1;

        Assert.Equal(Range(10), tokens);
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(1, 0.5)]
    [InlineData(5, 0.05)]
    public void TailSplit_EmptyPart_IsADataErrorExplainingTheSizes(int n, double fraction)
    {
        var e = Assert.Throws<RecurrentDataException>(() => Splits.TailSplit(Range(n), fraction));

        Assert.Contains($"the text has {n} tokens", e.Message);
        Assert.Contains("both parts need at least 1", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(0.51)]
    [InlineData(double.NaN)]
    public void TailSplit_FractionOutsideRange_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.TailSplit(Range(100), fraction));
    }
}
