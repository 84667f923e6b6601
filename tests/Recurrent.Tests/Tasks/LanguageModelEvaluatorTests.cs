using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

public sealed class LanguageModelEvaluatorTests
{
    [Fact]
    public void Evaluate_ParallelStreams_MatchReadingTheTextAsOneStream()
    {
        // 2,560 targets: 10 streams of 256 steps, every target used; each stream after the first is warmed up
        // on the text before it, so the score equals one stream read from the start (up to rounding).
        var network = new LanguageModelNetwork(new LanguageModelShape(20, CellKind.Lstm, 8, 24, 2, 0f), new Rng(11));
        var rng = new Rng(5);
        int[] tokens = Enumerable.Range(0, 2561).Select(i => 4 + (int)(rng.NextFloat() * 4) * (i % 3 + 1)).ToArray();
        LanguageModelScore parallel = LanguageModelEvaluator.Evaluate(network, tokens, 1);
        LanguageModelScore oneStream = LanguageModelEvaluator.EvaluateStreaming(network, tokens, 1, WeightPrecision.Float32);
        Assert.Equal(oneStream.Tokens, parallel.Tokens);
        Assert.Equal(oneStream.Loss, parallel.Loss, 5);
    }

    [Theory]
    [InlineData(2585)]   // 10 streams of 258 steps, 5 targets left over
    [InlineData(1000)]   // 3 streams of 333 steps, 1 left over
    [InlineData(1024)]   // 4 streams of 256 steps, none left over
    public void Evaluate_TargetsLeftOverByTheStreams_AreScoredToo(int targets)
    {
        // Every target counts once, whether or not the text divides evenly into streams, and the figure is still
        // that of one stream read from the start.
        var network = new LanguageModelNetwork(new LanguageModelShape(20, CellKind.Gru, 8, 24, 2, 0f), new Rng(11));
        var rng = new Rng(6);
        int[] tokens = Enumerable.Range(0, targets + 1).Select(i => 4 + (int)(rng.NextFloat() * 4) * (i % 3 + 1)).ToArray();
        LanguageModelScore parallel = LanguageModelEvaluator.Evaluate(network, tokens, 1);
        LanguageModelScore oneStream = LanguageModelEvaluator.EvaluateStreaming(network, tokens, 1, WeightPrecision.Float32);
        Assert.Equal(targets, parallel.Tokens);
        Assert.Equal(oneStream.Loss, parallel.Loss, 5);
    }
}
