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
}
