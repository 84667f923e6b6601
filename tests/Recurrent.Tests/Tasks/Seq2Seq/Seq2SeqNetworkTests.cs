using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Decoding;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;

namespace Recurrent.Tests.Tasks.Seq2Seq;

public sealed class Seq2SeqNetworkTests
{
    private static Seq2SeqShape Tiny(AttentionKind attention, CellKind cell, int decoderLayers = 1, bool reverse = false) =>
        new(7, 6, cell, 3, 3, 2, true, attention == AttentionKind.LuongDot ? 6 : 4, decoderLayers, attention, 4, 0f, reverse);

    /// <summary>Two pairs of different lengths (sources 3 and 2, targets 2 and 1 tokens), so padding and masks are exercised.</summary>
    private static Seq2SeqBatch Batch() => Seq2SeqBatches.Build(
        new EncodedPairs([[4, 5, 6], [6, 4]], [[4, 5], [5]]), [0, 1]);

    [Theory]
    [InlineData(AttentionKind.None, CellKind.Lstm, 1)]
    [InlineData(AttentionKind.Bahdanau, CellKind.Lstm, 2)]
    [InlineData(AttentionKind.LuongDot, CellKind.Gru, 1)]
    [InlineData(AttentionKind.LuongGeneral, CellKind.Lstm, 2)]
    public void Loss_Backward_MatchesFiniteDifferences_ForEveryParameter(AttentionKind attention, CellKind cell, int decoderLayers)
    {
        var network = new Seq2SeqNetwork(Tiny(attention, cell, decoderLayers), new Rng(5));
        Seq2SeqBatch batch = Batch();
        var options = new Seq2SeqLossOptions(LabelSmoothing: 0.1f);
        var inputs = network.NamedParameters().Select(p => (Variable)p.Parameter).ToArray();
        var result = GradCheck.Run(t => Seq2SeqLoss.Compute(network, t, batch, options, null), inputs, maxPerInput: 12);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void Loss_GradientCheck_FailsForADeliberatelyWrongGradient()
    {
        var network = new Seq2SeqNetwork(Tiny(AttentionKind.Bahdanau, CellKind.Lstm), new Rng(5));
        Seq2SeqBatch batch = Batch();
        var inputs = network.NamedParameters().Select(p => (Variable)p.Parameter).ToArray();
        var result = GradCheck.Run(t => Seq2SeqLoss.Compute(network, t, batch, new Seq2SeqLossOptions(), null), inputs, maxPerInput: 12,
            corruptAnalytic: vs => vs[^3].Grad!.Span[0] += 0.05f);
        Assert.False(result.Passed);
    }

    [Fact]
    public void ParameterNames_FollowThePyTorchModuleTree()
    {
        var names = new Seq2SeqNetwork(Tiny(AttentionKind.Bahdanau, CellKind.Lstm), new Rng(1)).NamedParameters().Select(p => p.Name).ToArray();
        foreach (string name in new[] { "encoder.embedding.weight", "encoder.rnn.weight_ih_l0", "encoder.rnn.weight_hh_l1_reverse", "bridge.h.weight", "bridge.c.bias",
            "decoder.embedding.weight", "decoder.rnn.weight_ih_l0", "decoder.attention.W.weight", "decoder.attention.U.bias", "decoder.attention.v.weight",
            "decoder.combine.weight", "decoder.out.weight", "decoder.out.bias" })
            Assert.Contains(name, names);
        var none = new Seq2SeqNetwork(Tiny(AttentionKind.None, CellKind.Gru), new Rng(1)).NamedParameters().Select(p => p.Name).ToArray();
        Assert.DoesNotContain(none, n => n.StartsWith("decoder.attention", StringComparison.Ordinal) || n.StartsWith("bridge.c", StringComparison.Ordinal) || n.StartsWith("decoder.combine", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(AttentionKind.None)]
    [InlineData(AttentionKind.Bahdanau)]
    [InlineData(AttentionKind.LuongGeneral)]
    public void BeamOfOne_EqualsGreedy_OnTheNetwork(AttentionKind attention)
    {
        var network = new Seq2SeqNetwork(Tiny(attention, CellKind.Lstm, 2), new Rng(9));
        int[][] sources = [[4, 5, 6], [6], [5, 5, 4, 6], [4, 4]];
        var greedy = Seq2SeqModel.Decode(network, sources, new TranslateOptions(BeamSize: 1, MaxLength: 8));
        var decoder = new Seq2SeqStepDecoder(network);
        var beam = BeamSearch.Decode(decoder, decoder.Start(sources), sources.Length, new DecodingOptions(Vocabulary.BosId, Vocabulary.EosId, 1, 8));
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(greedy[i].Tokens, beam[i].Tokens);
            Assert.Equal(greedy[i].LogProbability, beam[i].LogProbability, 9);
        }
    }

    [Theory]
    [InlineData(AttentionKind.None)]
    [InlineData(AttentionKind.Bahdanau)]
    [InlineData(AttentionKind.LuongGeneral)]
    public void StepDecoder_ScoresATargetAsTheTeacherForcedLossDoes(AttentionKind attention)
    {
        // Σ_t log p(y_t) fed step by step through the search's decoder equals −(mean cross-entropy × tokens) of the
        // training path: both run the same network the same way.
        var network = new Seq2SeqNetwork(Tiny(attention, CellKind.Lstm, 2), new Rng(4));
        int[][] sources = [[4, 6, 5], [5]];
        int[][] targets = [[5, 4, 4], [4, 5, 4]];
        var decoder = new Seq2SeqStepDecoder(network);
        Seq2SeqSearchState state = decoder.Start(sources);
        var logProbability = new double[2];
        var previous = new[] { Vocabulary.BosId, Vocabulary.BosId };
        for (int t = 0; t <= 3; t++)
        {
            var step = decoder.Step(previous, state);
            for (int j = 0; j < 2; j++)
            {
                int next = t < 3 ? targets[j][t] : Vocabulary.EosId;
                logProbability[j] += step.LogProbabilities[j * network.Shape.TargetVocabularySize + next];
                previous[j] = next;
            }
            state = step.State;
        }
        using var tape = new Tape { Training = false };
        Variable loss = Seq2SeqLoss.Compute(network, tape, Seq2SeqBatches.Build(new EncodedPairs(sources, targets), [0, 1]), new Seq2SeqLossOptions(), null);
        Assert.Equal(logProbability.Sum(), -loss.Value[0] * 8, 4);
    }

    [Fact]
    public void Decode_ReturnsAttentionRowsOverTheSource()
    {
        var network = new Seq2SeqNetwork(Tiny(AttentionKind.LuongGeneral, CellKind.Lstm), new Rng(2));
        var decoded = Seq2SeqModel.Decode(network, [[4, 5, 6], [5]], new TranslateOptions(BeamSize: 3, MaxLength: 5));
        foreach (var (d, length) in decoded.Zip([3, 1]))
            foreach (float[] row in d.Attention!)
            {
                Assert.Equal(1.0, row.Take(length).Sum(), 4);
                Assert.All(row.Skip(length), w => Assert.Equal(0f, w));
            }
    }
}
