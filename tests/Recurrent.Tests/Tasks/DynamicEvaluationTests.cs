using Recurrent.Autograd;
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

    [Fact]
    public void GradientStatistics_OneWindow_IsTheAbsoluteGradient()
    {
        // One stream read in one window: the RMS over a single gradient is its absolute value, weight by weight.
        var network = Network();
        int[] tokens = Repeating(31);
        DynamicGradientStatistics statistics = DynamicEvaluation.GradientStatistics(network, tokens, segmentLength: 30, batch: 1);
        Assert.Equal(30, statistics.Tokens);

        using var tape = new Tape { Training = false };
        var (logits, _) = network.Forward(tape, tokens.AsSpan(0, 30), 30, 1, null, null);
        tape.Backward(tape.CrossEntropy(logits, tokens.AsSpan(1, 30)));
        var parameters = network.NamedParameters();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            float[] expected = parameters[i].Parameter.Grad!.Span.ToArray().Select(MathF.Abs).ToArray();
            Assert.Equal(expected, statistics.Rms[i], (a, b) => MathF.Abs(a - b) <= 1e-6f + 1e-5f * MathF.Abs(a));
            sum += expected.Sum(x => (double)x);
            count += expected.Length;
        }
        Assert.Equal(sum / count, statistics.MeanRms, 6);
        network.ZeroGrad();
    }

    [Fact]
    public void GradientStatistics_SeveralWindows_AverageTheSquares()
    {
        // Two windows of one stream: r² is the mean of the two squared gradients.
        var network = Network();
        int[] tokens = Repeating(41);
        DynamicGradientStatistics statistics = DynamicEvaluation.GradientStatistics(network, tokens, segmentLength: 20, batch: 1);
        var parameters = network.NamedParameters();
        var squares = parameters.Select(p => new double[p.Parameter.Value.Length]).ToArray();
        using var tape = new Tape { Training = false };
        CarriedState? state = null;
        for (int start = 0; start < 40; start += 20)
        {
            var (logits, final) = network.Forward(tape, tokens.AsSpan(start, 20), 20, 1, state?.AsState(), null);
            tape.Backward(tape.CrossEntropy(logits, tokens.AsSpan(start + 1, 20)));
            state = CarriedState.CopyOf(final);
            tape.Reset();
            for (int i = 0; i < parameters.Count; i++)
            {
                var g = parameters[i].Parameter.Grad!.Span;
                for (int j = 0; j < g.Length; j++) squares[i][j] += (double)g[j] * g[j];
                g.Clear();
            }
        }
        for (int i = 0; i < parameters.Count; i++)
            for (int j = 0; j < squares[i].Length; j++)
                Assert.Equal(Math.Sqrt(squares[i][j] / 2), statistics.Rms[i][j], 1e-6 + 1e-5 * statistics.Rms[i][j]);
    }

    [Fact]
    public void RmsRule_OneSegment_EqualsStaticEvaluation_AndLearnsFromTheText()
    {
        var network = Network();
        float[][] before = network.NamedParameters().Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
        int[] tokens = Repeating(900);
        DynamicGradientStatistics statistics = DynamicEvaluation.GradientStatistics(network, Repeating(400), segmentLength: 20, batch: 4);
        LanguageModelScore fixedWeights = LanguageModelEvaluator.Evaluate(network, tokens, 1);
        // One segment (of a text short enough for the static evaluator's single stream): nothing is learned before scoring.
        int[] shortText = Repeating(200);
        var whole = new DynamicEvaluationOptions(segmentLength: 199, rule: DynamicEvaluationRule.Rms);
        Assert.Equal(LanguageModelEvaluator.Evaluate(network, shortText, 1).Loss, DynamicEvaluation.Evaluate(network, shortText, 1, whole, statistics: statistics).Loss, 5);

        var options = new DynamicEvaluationOptions(learningRate: 0.002f, decay: 0.01f, segmentLength: 20, clip: 0f, rule: DynamicEvaluationRule.Rms);
        LanguageModelScore adapted = DynamicEvaluation.Evaluate(network, tokens, 1, options, statistics: statistics);
        Assert.True(adapted.Loss < 0.75 * fixedWeights.Loss, $"static {fixedWeights.Loss:F4}, dynamic {adapted.Loss:F4}");
        var after = network.NamedParameters().Select(p => p.Parameter.Value.Span.ToArray()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void RmsRule_WithoutStatistics_OrWithAnotherNetworks_Throws()
    {
        var network = Network();
        int[] tokens = Repeating(100);
        var options = new DynamicEvaluationOptions(rule: DynamicEvaluationRule.Rms);
        Assert.Throws<ArgumentException>(() => DynamicEvaluation.Evaluate(network, tokens, 1, options));
        var other = new LanguageModelNetwork(new LanguageModelShape(12, CellKind.Lstm, 6, 8, 2, 0.2f), new Rng(7));
        DynamicGradientStatistics foreign = DynamicEvaluation.GradientStatistics(other, tokens, segmentLength: 20, batch: 2);
        Assert.Throws<ArgumentException>(() => DynamicEvaluation.Evaluate(network, tokens, 1, options, statistics: foreign));
        Assert.Throws<RecurrentDataException>(() => DynamicEvaluation.GradientStatistics(network, [4, 5], 20));
    }

    [Theory]
    [InlineData(0f, 0.001f, 50, 1f)]
    [InlineData(0.1f, 1.5f, 50, 1f)]
    [InlineData(0.1f, 0.001f, 0, 1f)]
    [InlineData(0.1f, 0.001f, 50, -1f)]
    public void DynamicEvaluationOptions_OutOfRange_Throw(float lr, float decay, int segment, float clip) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicEvaluationOptions(lr, decay, segment, clip));

    [Fact]
    public void DynamicEvaluationOptions_BadEpsilonOrRule_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicEvaluationOptions(rule: DynamicEvaluationRule.Rms, epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicEvaluationOptions(rule: (DynamicEvaluationRule)7));
    }
}
