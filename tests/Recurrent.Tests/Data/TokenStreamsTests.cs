using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class TokenStreamsTests
{
    private static int[] Range(int n) => [.. Enumerable.Range(0, n)];

    [Fact]
    public void Constructor_CutsIntoEqualStreams_DroppingTheRemainder()
    {
        var streams = new TokenStreams(Range(11), batchSize: 3);

        Assert.Equal(3, streams.BatchSize);
        Assert.Equal(3, streams.StreamLength); // (11 − 1) / 3
    }

    [Fact]
    public void Fill_SmallCase_MatchesHandComputedWindow()
    {
        // N = 11, B = 3, L = 3: stream 0 = 0 1 2 3, stream 1 = 3 4 5 6, stream 2 = 6 7 8 9; token 10 unused.
        var streams = new TokenStreams([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], batchSize: 3);
        var inputs = new int[6];
        var targets = new int[6];

        streams.Fill(position: 1, steps: 2, inputs, targets);

        // Time-major [2, 3]: row t holds step t of streams 0, 1, 2.
        Assert.Equal([11, 14, 17, 12, 15, 18], inputs);
        Assert.Equal([12, 15, 18, 13, 16, 19], targets);
    }

    [Fact]
    public void Fill_WholeStream_EndsOnTheSharedBoundaryToken()
    {
        var streams = new TokenStreams(Range(9), batchSize: 2); // L = 4
        var inputs = new int[8];
        var targets = new int[8];

        streams.Fill(0, 4, inputs, targets);

        Assert.Equal([0, 4, 1, 5, 2, 6, 3, 7], inputs);
        Assert.Equal([1, 5, 2, 6, 3, 7, 4, 8], targets);
    }

    [Fact]
    public void Fill_BatchOfOne_IsTheShiftedSequence()
    {
        var streams = new TokenStreams(Range(5), batchSize: 1);
        var inputs = new int[4];
        var targets = new int[4];

        streams.Fill(0, 4, inputs, targets);

        Assert.Equal([0, 1, 2, 3], inputs);
        Assert.Equal([1, 2, 3, 4], targets);
    }

    [Theory]
    [InlineData(101, 4, 7)]
    [InlineData(50, 3, 5)]
    [InlineData(23, 1, 4)]
    [InlineData(9, 4, 3)]
    public void WindowsOfK_CoverEveryTargetExactlyOnce(int n, int batch, int k)
    {
        var streams = new TokenStreams(Range(n), batch);
        int L = streams.StreamLength;
        var seen = new int[n];
        var inputs = new int[k * batch];
        var targets = new int[k * batch];

        for (int position = 0; position < L; position += k)
        {
            int steps = Math.Min(k, L - position);
            streams.Fill(position, steps, inputs.AsSpan(0, steps * batch), targets.AsSpan(0, steps * batch));
            for (int i = 0; i < steps * batch; i++)
            {
                Assert.Equal(inputs[i] + 1, targets[i]);
                seen[targets[i]]++;
            }
        }

        // Targets are tokens 1 … B·L, each once; token 0 and the unused tail are never targets.
        for (int token = 0; token < n; token++)
        {
            int expected = token >= 1 && token <= batch * L ? 1 : 0;
            Assert.True(expected == seen[token], $"token {token}: expected {expected} target use(s), got {seen[token]}");
        }
    }

    [Theory]
    [InlineData(4, 2)]
    [InlineData(0, 1)]
    [InlineData(2, 1)]
    [InlineData(100, 50)]
    public void Constructor_TooShortText_IsADataErrorNamingTheSizes(int n, int batch)
    {
        var e = Assert.Throws<RecurrentDataException>(() => new TokenStreams(Range(n), batch));

        Assert.Contains($"the text has {n} tokens, which is too short for {batch} streams", e.Message);
        Assert.Contains($"at least {2 * batch + 1} tokens", e.Message);
    }

    [Fact]
    public void Constructor_ShortestTextThatFits_HasTwoSteps()
    {
        Assert.Equal(2, new TokenStreams(Range(7), batchSize: 3).StreamLength);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new TokenStreams(null!, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenStreams(Range(10), 0));
    }

    [Fact]
    public void Fill_WindowOutsideTheStream_ThrowsNamingTheValues()
    {
        var streams = new TokenStreams(Range(11), batchSize: 2); // L = 5
        var buffer = new int[12];

        var past = Assert.Throws<ArgumentOutOfRangeException>(() => streams.Fill(3, 3, buffer.AsSpan(0, 6), buffer.AsSpan(6, 6)));
        Assert.Equal("steps", past.ParamName);
        Assert.Contains("position 3 + steps 3 = 6", past.Message);
        Assert.Contains("stream length 5", past.Message);

        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => streams.Fill(-1, 1, buffer.AsSpan(0, 2), buffer.AsSpan(2, 2)));
        Assert.Equal("position", negative.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => streams.Fill(0, -1, [], []));
    }

    [Fact]
    public void Fill_ZeroStepsAtTheEnd_WritesNothing()
    {
        var streams = new TokenStreams(Range(11), batchSize: 2);

        streams.Fill(5, 0, [], []);
    }

    [Fact]
    public void Fill_WrongSpanLength_Throws()
    {
        var streams = new TokenStreams(Range(11), batchSize: 2);

        var e = Assert.Throws<ArgumentException>(() => streams.Fill(0, 2, new int[3], new int[4]));
        Assert.Equal("inputs", e.ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => streams.Fill(0, 2, new int[4], new int[5])).ParamName);
    }
}
