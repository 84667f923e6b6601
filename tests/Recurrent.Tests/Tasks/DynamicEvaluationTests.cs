using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

public sealed class DynamicEvaluationTests
{
    private static LanguageModelNetwork Network() => new(new LanguageModelShape(12, CellKind.Lstm, 6, 16, 2, 0.2f), new Rng(7));

    private static int[] Repeating(int length)
    {
        int[] pattern = [4, 7, 5, 9, 11, 6, 8, 4, 10];
        return Enumerable.Range(0, length).Select(i => pattern[i % pattern.Length]).ToArray();
    }

    [Fact]
    public void DynamicEvaluation_OneSegment_EqualsStaticEvaluation()
    {
        // With the whole text in one segment, every target is scored before any update: the static score.
        var network = Network();
        int[] tokens = Repeating(200);
        LanguageModelScore expected = LanguageModelEvaluator.Evaluate(network, tokens, 1);
        LanguageModelScore actual = DynamicEvaluation.Evaluate(network, tokens, 1, new DynamicEvaluationOptions(segmentLength: 199));
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Loss, actual.Loss, 5);
    }

    [Fact]
    public void DynamicEvaluation_LearnsFromTheTextItScores_AndRestoresTheWeights()
    {
        var network = Network();
        float[][] before = network.NamedParameters().Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
        int[] tokens = Repeating(900);
        LanguageModelScore fixedWeights = LanguageModelEvaluator.Evaluate(network, tokens, 1);
        LanguageModelScore adapted = DynamicEvaluation.Evaluate(network, tokens, 1, new DynamicEvaluationOptions(learningRate: 2f, segmentLength: 20, clip: 0f));
        // An untrained model meets a periodic text: learning from each segment must lower the loss a lot.
        Assert.True(adapted.Loss < 0.75 * fixedWeights.Loss, $"static {fixedWeights.Loss:F4}, dynamic {adapted.Loss:F4}");
        var after = network.NamedParameters().Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
        Assert.All(network.NamedParameters(), p => Assert.True(p.Parameter.Grad is null || p.Parameter.Grad.Span.IndexOfAnyExcept(0f) < 0));
    }

    [Fact]
    public void DynamicEvaluation_ScoresEachSegmentBeforeLearningFromIt()
    {
        // Changing the text after the first segment must not change what the first segment scored: compare a
        // one-segment text with the same text followed by more.
        var network = Network();
        int[] head = Repeating(41);
        int[] longer = head.Concat(Repeating(60).Reverse()).ToArray();
        var options = new DynamicEvaluationOptions(learningRate: 0.5f, segmentLength: 40);
        double headNats = DynamicEvaluation.Evaluate(network, head, 1, options).Loss * 40;
        double staticHead = LanguageModelEvaluator.Evaluate(network, head, 1).Loss * 40;
        Assert.Equal(staticHead, headNats, 4);
        double longerNats = DynamicEvaluation.Evaluate(network, longer, 1, options).Loss * (longer.Length - 1);
        Assert.NotEqual(headNats, longerNats, 3);
    }

    [Theory]
    [InlineData(0f, 0.001f, 50, 1f)]
    [InlineData(0.1f, 1.5f, 50, 1f)]
    [InlineData(0.1f, 0.001f, 0, 1f)]
    [InlineData(0.1f, 0.001f, 50, -1f)]
    public void DynamicEvaluationOptions_OutOfRange_Throw(float lr, float decay, int segment, float clip) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicEvaluationOptions(lr, decay, segment, clip));
}
