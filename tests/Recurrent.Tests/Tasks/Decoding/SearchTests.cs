using Recurrent.Tasks.Decoding;

namespace Recurrent.Tests.Tasks.Decoding;

public class SearchTests
{
    private const int A = 2, B = 3, C = 4;

    /// <summary>After the begin token A is likelier than B, but A's continuations are spread out while B ends at once:
    /// greedy takes A then the end (0.5 · 0.3 = 0.15), the best sequence is B then the end (0.4 · 0.9 = 0.36).</summary>
    private static float[] GreedyTrap(int input, int[] prefix) => prefix switch
    {
        [] => [0, 0.05f, 0.5f, 0.4f, 0.05f],
        [A] => [0, 0.3f, 0.25f, 0.25f, 0.2f],
        [B] => [0, 0.9f, 0.04f, 0.03f, 0.03f],
        _ => [0, 0.7f, 0.1f, 0.1f, 0.1f],
    };

    /// <summary>A fixed pseudo-random distribution for every (input, prefix), with the end token getting likelier as the prefix grows.</summary>
    private static float[] Scrambled(int input, int[] prefix)
    {
        ulong h = 1469598103934665603UL ^ (ulong)input;
        foreach (int t in prefix) h = (h ^ (ulong)t) * 1099511628211UL;
        var rng = new Recurrent.Tensors.Rng(h);
        var p = new float[7];
        for (int i = 1; i < p.Length; i++) p[i] = 0.05f + rng.NextFloat();
        p[ToyDecoder.End] *= 0.2f + 0.4f * prefix.Length;
        float sum = p.Sum();
        return p.Select(x => x / sum).ToArray();
    }

    [Fact]
    public void Greedy_FollowsTheMostProbableTokens()
    {
        var decoder = new ToyDecoder(5, 3, GreedyTrap);
        var result = GreedyDecoder.Decode(decoder, ToyDecoder.Start(1), 1, new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, maxLength: 10))[0];
        Assert.Equal([A], result.Tokens);
        Assert.True(result.Finished);
        Assert.Equal(Math.Log(0.5 * 0.3), result.LogProbability, 5);
    }

    [Fact]
    public void Beam_FindsAHigherScoringSequenceThanGreedy()
    {
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize: 2, maxLength: 10);
        var greedy = GreedyDecoder.Decode(new ToyDecoder(5, 3, GreedyTrap), ToyDecoder.Start(1), 1, options)[0];
        var beam = BeamSearch.Decode(new ToyDecoder(5, 3, GreedyTrap), ToyDecoder.Start(1), 1, options)[0];
        Assert.Equal([B], beam.Tokens);
        Assert.Equal(Math.Log(0.4 * 0.9), beam.LogProbability, 5);
        Assert.True(beam.Score > greedy.Score, $"beam {beam.Score} should beat greedy {greedy.Score}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(12)]
    public void BeamOfOne_EqualsGreedy(int maxLength)
    {
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize: 1, maxLength: maxLength);
        var greedy = GreedyDecoder.Decode(new ToyDecoder(7, 4, Scrambled), ToyDecoder.Start(9), 9, options);
        var beam = BeamSearch.Decode(new ToyDecoder(7, 4, Scrambled), ToyDecoder.Start(9), 9, options);
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(greedy[i].Tokens, beam[i].Tokens);
            Assert.Equal(greedy[i].LogProbability, beam[i].LogProbability);
            Assert.Equal(greedy[i].Finished, beam[i].Finished);
            Assert.Equal(greedy[i].Attention!.Length, beam[i].Attention!.Length);
            for (int t = 0; t < greedy[i].Attention!.Length; t++) Assert.Equal(greedy[i].Attention![t], beam[i].Attention![t]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Batch_EqualsEachInputAlone(int beamSize)
    {
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize: beamSize, maxLength: 8, lengthPenalty: 0.7f);
        var batched = BeamSearch.DecodeAll(new ToyDecoder(7, 4, Scrambled), ToyDecoder.Start(6), 6, options);
        for (int input = 0; input < 6; input++)
        {
            int id = input;
            var alone = BeamSearch.DecodeAll(new ToyDecoder(7, 4, (_, prefix) => Scrambled(id, prefix)), ToyDecoder.Start(1), 1, options)[0];
            Assert.Equal(alone.Count, batched[input].Count);
            for (int n = 0; n < alone.Count; n++)
            {
                Assert.Equal(alone[n].Tokens, batched[input][n].Tokens);
                Assert.Equal(alone[n].Score, batched[input][n].Score);
            }
        }
    }

    [Fact]
    public void Beam_ReturnsKHypothesesBestFirst_WithTheirAttention()
    {
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize: 4, maxLength: 6);
        var all = BeamSearch.DecodeAll(new ToyDecoder(7, 4, Scrambled), ToyDecoder.Start(2), 2, options);
        foreach (var list in all)
        {
            Assert.Equal(4, list.Count);
            for (int n = 1; n < list.Count; n++) Assert.True(list[n - 1].Score >= list[n].Score);
        }
        var best = all[1][0];
        int steps = best.Tokens.Length + (best.Finished ? 1 : 0);
        Assert.Equal(steps, best.Attention!.Length);
        for (int t = 0; t < steps; t++) Assert.Equal(1f, best.Attention[t][(t + 1) % 4]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Search_ReleasesEveryStateItMade(int beamSize)
    {
        // The toy decoder fails a test if a released state is read again or released twice; here every state
        // the search made (stepped or selected) must also have been released by the time it returns.
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize, maxLength: 9);
        var decoder = new ToyDecoder(7, 4, Scrambled);
        var decoded = SequenceDecoder.Decode(decoder, ToyDecoder.Start(9), 9, options);
        Assert.Equal(9, decoded.Count);
        Assert.True(decoder.Steps > 1);
        Assert.Equal(0, decoder.LiveStates);
    }

    [Fact]
    public void LengthLimit_EndsUnfinishedHypotheses()
    {
        // After the begin token the end token is never the best, so both searches stop at the limit.
        var options = new DecodingOptions(ToyDecoder.Begin, ToyDecoder.End, beamSize: 2, maxLength: 3);
        Func<int, int[], float[]> neverEnd = (_, _) => [0, 0.01f, 0.6f, 0.39f];
        var greedy = GreedyDecoder.Decode(new ToyDecoder(4, 2, neverEnd), ToyDecoder.Start(1), 1, options)[0];
        var beam = BeamSearch.Decode(new ToyDecoder(4, 2, neverEnd), ToyDecoder.Start(1), 1, options)[0];
        Assert.Equal([A, A, A], greedy.Tokens);
        Assert.False(greedy.Finished);
        Assert.Equal([A, A, A], beam.Tokens);
        Assert.False(beam.Finished);
    }

    [Fact]
    public void LengthNormalisation_DividesByLengthToThePowerAlpha()
    {
        var options = new DecodingOptions(0, 1, lengthPenalty: 0.5f);
        Assert.Equal(-4 / Math.Sqrt(4), options.Normalize(-4, 4), 12);
        Assert.Equal(-4, new DecodingOptions(0, 1, lengthPenalty: 0).Normalize(-4, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecodingOptions(0, 1, beamSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DecodingOptions(0, 1, maxLength: 0));
    }
}
