// The ONNX export against our own forward pass, run in ONNX Runtime: language models (sequence and step
// graphs) and classifiers (every pooling, bidirectional two-layer stacks, mixed lengths), for RNN tanh/relu,
// LSTM, GRU and the original GRU form. Outputs must agree within 1e-4.
using Recurrent.Nn;
using Recurrent.Onnx;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using static Recurrent.Tests.Onnx.OnnxModels;

namespace Recurrent.Tests.Onnx;

public sealed class OnnxExportTests
{
    public static TheoryData<CellKind> AllCells() => new(Cells);

    [Theory]
    [MemberData(nameof(AllCells))]
    public void LanguageModel_SequenceGraph_MatchesOurForwardInOnnxRuntime(CellKind cell)
    {
        const int layers = 2, steps = 6, batch = 3;
        LanguageModel lm = LanguageModel(cell, layers, seed: 11);
        long[] tokens = Tokens(steps * batch, seed: 1);
        float[] h0 = Normal(layers * batch * Hidden, 2);
        float[]? c0 = cell == CellKind.Lstm ? Normal(layers * batch * Hidden, 3) : null;
        var (logits, h, c) = Forward(lm.Network, tokens, steps, batch, h0, c0);

        var inputs = new List<Microsoft.ML.OnnxRuntime.NamedOnnxValue> { Longs("tokens", tokens, steps, batch), Floats("h0", h0, layers, batch, Hidden) };
        if (c0 is not null) inputs.Add(Floats("c0", c0, layers, batch, Hidden));
        var onnx = Run(OnnxExport.ToBytes(lm, ExportGraph.Sequence), [.. inputs]);

        Assert.Equal([steps, batch, Vocabulary], onnx["logits"].Shape);
        AssertClose(logits, onnx["logits"].Values, $"{cell} logits");
        AssertClose(h, onnx["h_n"].Values, $"{cell} h_n");
        if (c is not null) AssertClose(c, onnx["c_n"].Values, $"{cell} c_n");
        Assert.Equal(c is not null, onnx.ContainsKey("c_n"));
    }

    [Theory]
    [MemberData(nameof(AllCells))]
    public void LanguageModel_StepGraph_FedItsOwnState_MatchesOurSequenceForward(CellKind cell)
    {
        const int layers = 2, steps = 4, batch = 2;
        LanguageModel lm = LanguageModel(cell, layers, seed: 12);
        long[] tokens = Tokens(steps * batch, seed: 4);
        float[] h = Normal(layers * batch * Hidden, 5);
        float[]? c = cell == CellKind.Lstm ? Normal(layers * batch * Hidden, 6) : null;
        var expected = Forward(lm.Network, tokens, steps, batch, h, c);
        byte[] model = OnnxExport.ToBytes(lm, ExportGraph.Step);

        for (int t = 0; t < steps; t++)
        {
            var inputs = new List<Microsoft.ML.OnnxRuntime.NamedOnnxValue> { Longs("token", tokens[(t * batch)..((t + 1) * batch)], batch), Floats("h0", h, layers, batch, Hidden) };
            if (c is not null) inputs.Add(Floats("c0", c, layers, batch, Hidden));
            var onnx = Run(model, [.. inputs]);
            Assert.Equal([batch, Vocabulary], onnx["logits"].Shape);
            AssertClose(expected.Logits.AsSpan(t * batch * Vocabulary, batch * Vocabulary), onnx["logits"].Values, $"{cell} step {t} logits");
            h = onnx["h_n"].Values;
            if (c is not null) c = onnx["c_n"].Values;
        }
        AssertClose(expected.H, h, $"{cell} final h");
        if (c is not null) AssertClose(expected.C!, c, $"{cell} final c");
    }

    public static TheoryData<CellKind, Pooling, int, bool> ClassifierCases()
    {
        var data = new TheoryData<CellKind, Pooling, int, bool>();
        foreach (CellKind cell in Cells)
            foreach (Pooling pooling in Enum.GetValues<Pooling>())
                data.Add(cell, pooling, 2, true);
        foreach (Pooling pooling in Enum.GetValues<Pooling>())
            data.Add(CellKind.Lstm, pooling, 1, false);
        return data;
    }

    [Theory]
    [MemberData(nameof(ClassifierCases))]
    public void Classifier_MixedLengths_MatchesOurForwardInOnnxRuntime(CellKind cell, Pooling pooling, int layers, bool bidirectional)
    {
        const int steps = 6;
        int[] lengths = [6, 3, 1, 4];
        int batch = lengths.Length;
        Classifier classifier = Classifier(cell, layers, bidirectional, pooling, seed: 21);
        long[] tokens = Tokens(steps * batch, seed: 7, lengths, steps);

        using var tape = new Recurrent.Autograd.Tape { Training = false };
        using var noGrad = tape.NoGrad();
        float[] expected = classifier.Network.Forward(tape, tokens.Select(t => (int)t).ToArray(), steps, batch, lengths, null).Value.Span.ToArray();

        var onnx = Run(OnnxExport.ToBytes(classifier), Longs("tokens", tokens, steps, batch), Longs("lengths", lengths.Select(l => (long)l).ToArray(), batch));

        Assert.Equal([batch, 3], onnx["logits"].Shape);
        AssertClose(expected, onnx["logits"].Values, $"{cell} {pooling} logits");
        float[] probabilities = onnx["probabilities"].Values;
        for (int b = 0; b < batch; b++) Assert.Equal(1f, probabilities[(b * 3)..((b + 1) * 3)].Sum(), 5);
    }

    [Fact]
    public void Classifier_PaddingValues_DoNotChangeTheResult()
    {
        int[] lengths = [5, 2];
        Classifier classifier = Classifier(CellKind.Gru, 2, true, Pooling.Attention, seed: 3);
        long[] tokens = Tokens(5 * 2, seed: 8, lengths, 5);
        long[] noisy = (long[])tokens.Clone();
        for (int t = 2; t < 5; t++) noisy[t * 2 + 1] = 7;
        byte[] model = OnnxExport.ToBytes(classifier);
        var lengthsInput = Longs("lengths", [5, 2], 2);

        var clean = Run(model, Longs("tokens", tokens, 5, 2), lengthsInput);
        var padded = Run(model, Longs("tokens", noisy, 5, 2), lengthsInput);

        Assert.Equal(clean["logits"].Values, padded["logits"].Values);
    }
}
