using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks.Seq2Seq;

public sealed class Seq2SeqLearnsTests
{
    private const int Steps = 200;

    internal static Seq2SeqConfig ReverseConfig(AttentionKind attention, int hidden = 32, CellKind cell = CellKind.Lstm, bool bidirectional = true, int decoderLayers = 1)
    {
        var vocabulary = Vocabulary.Build("abcde".Select(c => c.ToString()));
        int memory = (bidirectional ? 2 : 1) * hidden;
        var shape = new Seq2SeqShape(vocabulary.Count, vocabulary.Count, cell, 16, hidden, 1, bidirectional,
            attention == AttentionKind.LuongDot ? memory : hidden, decoderLayers, attention, 32, 0f, false);
        return new Seq2SeqConfig(TokenizerKind.Character, TokenizerKind.Character, vocabulary, vocabulary, PairFormat.Tsv, false, shape);
    }

    /// <summary>Random strings of 2–5 letters from a–e and their reverses.</summary>
    internal static SequencePair[] ReversePairs(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            string s = new(Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => (char)('a' + rng.NextInt(5))).ToArray());
            return new SequencePair(s, [new string(s.Reverse().ToArray())], $"pairs:{i + 1}");
        }).ToArray();
    }

    [Fact]
    public void AttentionModel_LearnsToReverseSequences_ToNearlyPerfectExactMatch()
    {
        Seq2SeqConfig config = ReverseConfig(AttentionKind.LuongGeneral);
        var network = new Seq2SeqNetwork(config.Shape, new Rng(1));
        EncodedPairs train = Seq2SeqTask.Encode(config, ReversePairs(4000, 2));
        var optimizer = new Adam(network.NamedParameters(), new AdamOptions(LearningRate: 1e-2f));
        var rng = new Rng(3);
        using var tape = new Tape();
        for (int step = 0; step < Steps; step++)
        {
            optimizer.LearningRate = 1e-2f * (1 - 0.9f * step / Steps); // linear decay to a tenth
            int[] indices = Enumerable.Range(0, 32).Select(_ => rng.NextInt(train.Sources.Count)).ToArray();
            Variable loss = Seq2SeqLoss.Compute(network, tape, Seq2SeqBatches.Build(train, indices), new Seq2SeqLossOptions(), rng);
            optimizer.ZeroGrad();
            tape.Backward(loss);
            GradientClipping.ClipByGlobalNorm(network.Parameters(), 5f);
            optimizer.Step();
            tape.Reset();
        }
        Seq2SeqScores scores = Seq2SeqModel.Score(config, network, ReversePairs(300, 99), new TranslateOptions());
        Assert.True(scores.ExactMatch >= 0.99, $"exact match {scores.ExactMatch:P1} after {Steps} steps; expected ≥ 99% (TER {scores.TokenErrorRate:P2})");
    }
}
