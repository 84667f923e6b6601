// Our encoder-decoder against libtorch: the fixture's module tree (tools/Recurrent.Fixtures/Seq2SeqFixtures.cs,
// the PyTorch code of docs/seq2seq.md) loads into Seq2SeqNetwork by name and shape, and the teacher-forced loss
// and every parameter's gradient agree at ~1e-5 relative.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;

namespace Recurrent.Tests.Oracle;

public sealed class Seq2SeqOracleTests
{
    [Theory]
    [InlineData("seq2seq_luong_general.json")]
    [InlineData("seq2seq_bahdanau.json")]
    public void Seq2Seq_LossAndGradients_MatchLibtorch(string fileName)
    {
        OracleFixture f = OracleFixture.Load(fileName);
        var c = f.Config;
        int Int(string name) => c.GetProperty(name).GetInt32();
        var shape = new Seq2SeqShape(Int("source_vocab_size"), Int("target_vocab_size"), CellKind.Lstm, Int("embedding_size"), Int("encoder_hidden"),
            Int("encoder_layers"), true, Int("decoder_hidden"), Int("decoder_layers"), Seq2SeqConfig.ParseAttention(c.GetProperty("attention").GetString()!),
            Int("attention_size"), 0f, false);
        var network = new Seq2SeqNetwork(shape, new Rng(0));
        var names = network.NamedParameters();
        Assert.Equal(f.Names.Where(n => !n.StartsWith("grad.", StringComparison.Ordinal) && n is not ("source" or "targets" or "loss")).Order(StringComparer.Ordinal),
            names.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var (name, parameter) in names)
        {
            Assert.Equal(f.Shape(name), parameter.Value.Shape.ToArray());
            f.Data(name).CopyTo(parameter.Value.Span);
        }
        int[] sourceShape = f.Shape("source"), targetShape = f.Shape("targets");
        int s = sourceShape[0], b = sourceShape[1], t = targetShape[0];
        int[] source = f.Data("source").Select(x => (int)x).ToArray(), targets = f.Data("targets").Select(x => (int)x).ToArray();
        int[] lengths = c.GetProperty("source_lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var batch = new Seq2SeqBatch(source, s, lengths, targets, t, Enumerable.Range(0, b).ToArray());

        using var tape = new Tape();
        Variable loss = Seq2SeqLoss.Compute(network, tape, batch, new Seq2SeqLossOptions(LabelSmoothing: (float)c.GetProperty("label_smoothing").GetDouble()), null);
        TestData.AssertClose(f.Data("loss"), loss.Value.Span, 2e-6, 1e-5, $"{fileName} loss");
        tape.Backward(loss);
        foreach (var (name, parameter) in names)
            TestData.AssertClose(f.Data("grad." + name), parameter.Grad!.Span, 2e-6, 1e-5, $"{fileName} grad.{name}");
    }
}
