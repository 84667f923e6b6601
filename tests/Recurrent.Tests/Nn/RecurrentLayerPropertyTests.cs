using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

[Collection(GlobalStateCollection.Name)]
public sealed class RecurrentLayerPropertyTests
{
    private static RecurrentLayer Layer(CellKind cell, int layers = 2, bool bidirectional = false, int input = 5, int hidden = 7) =>
        new(new RecurrentOptions(cell, input, hidden, layers, bidirectional), new Rng(42));

    private static Tensor Random(int seed, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        new Rng((ulong)seed).FillUniform(t.Span, -1f, 1f);
        return t;
    }

    private static Tensor Slice(Tensor x, int fromRow, int rows)
    {
        int rowSize = x.Length / x.Dim(0);
        int[] shape = x.Shape.ToArray();
        shape[0] = rows;
        var y = Tensor.Zeros(shape);
        x.Span.Slice(fromRow * rowSize, rows * rowSize).CopyTo(y.Span);
        return y;
    }

    [Theory]
    [InlineData(CellKind.RnnTanh)]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.GruOriginal)]
    [InlineData(CellKind.LayerNormLstm)]
    public void Sequence_RunInTwoChunksWithCarriedState_EqualsOneRun(CellKind cell)
    {
        RecurrentLayer layer = Layer(cell);
        Tensor x = Random(1, 9, 4, 5);
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        RecurrentResult whole = layer.Forward(tape, Tape.Constant(x));
        RecurrentResult first = layer.Forward(tape, Tape.Constant(Slice(x, 0, 4)));
        RecurrentResult second = layer.Forward(tape, Tape.Constant(Slice(x, 4, 5)), first.Final);
        TestData.AssertBitIdentical(whole.Output.Value.Span.Slice(0, 4 * 4 * 7), first.Output.Value.Span);
        TestData.AssertBitIdentical(whole.Output.Value.Span.Slice(4 * 4 * 7), second.Output.Value.Span);
        TestData.AssertBitIdentical(whole.Final.H.Value.Span, second.Final.H.Value.Span);
        if (cell.HasCellState()) TestData.AssertBitIdentical(whole.Final.C!.Value.Span, second.Final.C!.Value.Span);
    }

    [Fact]
    public void BatchFirst_BackwardAfterOtherWork_GivesTheSameGradients()
    {
        // The top layer of a batch-first run keeps its hidden states in its time-major output copy, which backward
        // reads: that copy must stay the run's own while other tensors are rented and written in between.
        const int t = 9, b = 5, h = 8;
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 6, h, 2, batchFirst: true), new Rng(3));
        Tensor x = Random(7, b, t, 6);
        float[] Gradient(bool scribble)
        {
            foreach (var p in layer.Parameters()) p.ZeroGrad();
            using var tape = new Tape();
            RecurrentResult r = layer.Forward(tape, Tape.Constant(x));
            if (scribble)
                for (int n = 0; n < 4; n++)
                {
                    using var other = Tensor.Rent([(t + 1) * b * h], clear: false);
                    other.Span.Fill(1e6f);
                }
            tape.Backward(r.Output, Random(8, b, t, h));
            return layer.WeightHh(1).Grad!.Span.ToArray();
        }
        float[] clean = Gradient(false);
        TestData.AssertBitIdentical(clean, Gradient(true));
    }

    [Theory]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.RnnRelu, true)]
    public void BatchOfOne_EqualsMatchingRowOfBiggerBatch(CellKind cell, bool bidirectional)
    {
        RecurrentLayer layer = Layer(cell, bidirectional: bidirectional);
        const int t = 6, b = 5, row = 3, dh = 14;
        Tensor x = Random(2, t, b, 5);
        var one = Tensor.Zeros(t, 1, 5);
        for (int s = 0; s < t; s++) x.Span.Slice((s * b + row) * 5, 5).CopyTo(one.Span.Slice(s * 5, 5));
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        RecurrentResult big = layer.Forward(tape, Tape.Constant(x), lengths: [6, 2, 6, 4, 1]);
        RecurrentResult single = layer.Forward(tape, Tape.Constant(one), lengths: [4]);
        int step = bidirectional ? 2 * 7 : 7;
        for (int s = 0; s < t; s++)
            TestData.AssertBitIdentical(big.Output.Value.Span.Slice((s * b + row) * step, step), single.Output.Value.Span.Slice(s * step, step), $"t={s}");
        Assert.Equal(dh / (bidirectional ? 1 : 2), step);
    }

    [Fact]
    public void MixedLengths_ZeroOutputPastEnd_AndFinalStateIsOwnLastStep()
    {
        RecurrentLayer layer = Layer(CellKind.Lstm, layers: 1, bidirectional: false);
        Tensor x = Random(3, 5, 2, 5);
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        RecurrentResult r = layer.Forward(tape, Tape.Constant(x), lengths: [5, 2]);
        ReadOnlySpan<float> o = r.Output.Value.Span;
        for (int s = 2; s < 5; s++) Assert.All(o.Slice((s * 2 + 1) * 7, 7).ToArray(), v => Assert.Equal(0f, v));
        TestData.AssertBitIdentical(o.Slice((1 * 2 + 1) * 7, 7), r.Final.H.Value.Span.Slice(7, 7));
        TestData.AssertBitIdentical(o.Slice((4 * 2 + 0) * 7, 7), r.Final.H.Value.Span.Slice(0, 7));
    }

    [Fact]
    public void ZeroLength_KeepsInitialState()
    {
        RecurrentLayer layer = Layer(CellKind.Gru, layers: 1, bidirectional: true);
        Tensor x = Random(4, 3, 2, 5);
        Tensor h0 = Random(5, 2, 2, 7);
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        RecurrentResult r = layer.Forward(tape, Tape.Constant(x), new RecurrentState(Tape.Constant(h0), null), lengths: [3, 0]);
        for (int k = 0; k < 2; k++)
            TestData.AssertBitIdentical(h0.Span.Slice((k * 2 + 1) * 7, 7), r.Final.H.Value.Span.Slice((k * 2 + 1) * 7, 7));
    }

    // Two threads take the side-by-side directions and (for small W_hh) the row-split time loop; one and three
    // threads take neither: all must give the same bits. H = 300 puts W_hh past the row-split limit.
    [Theory]
    [InlineData(CellKind.Lstm, 96, true)]
    [InlineData(CellKind.Gru, 96, true)]
    [InlineData(CellKind.GruOriginal, 48, true)]
    [InlineData(CellKind.RnnTanh, 40, false)]
    [InlineData(CellKind.Lstm, 300, false)]
    [InlineData(CellKind.LayerNormLstm, 96, true)]
    [InlineData(CellKind.LayerNormLstm, 300, false)]
    public void ForwardAndBackward_OneTwoAndThreeThreads_AreBitIdentical(CellKind cell, int hidden, bool bidirectional)
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            int d = bidirectional ? 2 : 1;
            float[] Run(int threads)
            {
                Parallelism.ThreadCount = threads;
                var layer = new RecurrentLayer(new RecurrentOptions(cell, 64, hidden, 2, bidirectional), new Rng(9));
                var x = new Variable(Random(6, 20, 16, 64), requiresGrad: true);
                using var tape = new Tape();
                RecurrentResult r = layer.Forward(tape, x, lengths: [.. Enumerable.Range(0, 16).Select(j => 20 - j)]);
                tape.Backward(r.Output, Random(7, 20, 16, d * hidden));
                return [.. r.Output.Value.Span.ToArray(), .. r.Final.H.Value.Span.ToArray(), .. x.Grad!.Span.ToArray(),
                    .. layer.Parameters().SelectMany(p => p.Grad!.Span.ToArray())];
            }
            float[] one = Run(1);
            TestData.AssertBitIdentical(one, Run(2));
            TestData.AssertBitIdentical(one, Run(3));
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.GruOriginal)]
    [InlineData(CellKind.RnnTanh)]
    [InlineData(CellKind.LayerNormLstm)]
    public void StatesKeptInTheOutput_GiveTheBitsOfASeparateCopy(CellKind cell)
    {
        // With nothing masked, each layer keeps its hidden states in its own output. A third, shorter sequence in
        // the batch makes every layer keep them apart and copy them out instead. Rows never interact, so the
        // outputs, final states and input gradients of the first two rows must agree bit for bit.
        const int t = 7, i = 5, h = 6, layers = 3;
        Tensor x2 = Random(11, t, 2, i), g2 = Random(12, t, 2, h);
        Tensor x3 = Random(13, t, 3, i), g3 = Random(14, t, 3, h);
        for (int s = 0; s < t; s++)
        {
            x2.Span.Slice(s * 2 * i, 2 * i).CopyTo(x3.Span.Slice(s * 3 * i, 2 * i));
            g2.Span.Slice(s * 2 * h, 2 * h).CopyTo(g3.Span.Slice(s * 3 * h, 2 * h));
        }
        float[] Run(Tensor xValue, Tensor g, int[]? lengths)
        {
            int b = xValue.Dim(1);
            var layer = new RecurrentLayer(new RecurrentOptions(cell, i, h, layers), new Rng(3));
            var x = new Variable(xValue, requiresGrad: true);
            using var tape = new Tape();
            RecurrentResult r = layer.Forward(tape, x, lengths: lengths);
            tape.Backward(r.Output, g);
            return [.. FirstTwoRows(r.Output.Value.Span, t, b, h), .. FirstTwoRows(r.Final.H.Value.Span, layers, b, h),
                .. FirstTwoRows(x.Grad!.Span, t, b, i)];
        }
        TestData.AssertBitIdentical(Run(x2, g2, null), Run(x3, g3, [t, t, 3]));
    }

    /// <summary>Rows 0 and 1 of every slice of a [n, b, f] buffer.</summary>
    private static float[] FirstTwoRows(ReadOnlySpan<float> src, int n, int b, int f)
    {
        var rows = new float[n * 2 * f];
        for (int k = 0; k < n; k++) src.Slice(k * b * f, 2 * f).CopyTo(rows.AsSpan(k * 2 * f, 2 * f));
        return rows;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroSteps_FinalStateIsTheInitialState(bool bidirectional)
    {
        RecurrentLayer layer = Layer(CellKind.Lstm, bidirectional: bidirectional);
        int ld = 2 * (bidirectional ? 2 : 1);
        Tensor h0 = Random(17, ld, 3, 7), c0 = Random(18, ld, 3, 7);
        using var tape = new Tape();
        RecurrentResult r = layer.Forward(tape, Tape.Constant(Tensor.Zeros(0, 3, 5)), new RecurrentState(Tape.Constant(h0), Tape.Constant(c0)));
        Assert.Equal(0, r.Output.Value.Length);
        TestData.AssertBitIdentical(h0.Span, r.Final.H.Value.Span);
        TestData.AssertBitIdentical(c0.Span, r.Final.C!.Value.Span);
    }

    [Fact]
    public void Backward_SecondPassThroughTheSameForward_IsRefusedWithAClearMessage()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 5, 6, 2), new Rng(4));
        var x = new Variable(Random(15, 4, 3, 5), requiresGrad: true);
        using var tape = new Tape();
        RecurrentResult r = layer.Forward(tape, x);
        Tensor g = Random(16, 4, 3, 6);
        tape.Backward(r.Output, g);
        var e = Assert.Throws<InvalidOperationException>(() => tape.Backward(r.Output, g));
        Assert.Contains("Run the forward pass again", e.Message);
    }

    [Fact]
    public void HiddenGradientCapture_TopLastStep_EqualsUpstreamGradient()
    {
        RecurrentLayer layer = Layer(CellKind.RnnTanh, layers: 2);
        var x = new Variable(Random(8, 6, 3, 5), requiresGrad: true);
        var capture = new HiddenGradientCapture();
        using var tape = new Tape();
        RecurrentResult r = layer.Forward(tape, x, capture: capture);
        Tensor dOut = Random(9, 6, 3, 7);
        tape.Backward(r.Output, dOut);
        Assert.Equal([2, 6, 3, 7], capture.Gradients!.Shape.ToArray());
        // Top layer (index 1), last step: nothing comes from later steps.
        TestData.AssertBitIdentical(dOut.Span.Slice(5 * 21, 21), capture.Gradients.Span.Slice((1 * 6 + 5) * 21, 21));
    }

    [Fact]
    public void ParameterNames_FollowPyTorch()
    {
        var layer = Layer(CellKind.Lstm, layers: 2, bidirectional: true);
        string[] names = layer.NamedParameters("encoder.rnn.").Select(p => p.Name).ToArray();
        Assert.Contains("encoder.rnn.weight_hh_l1_reverse", names);
        Assert.Equal(16, names.Length);
        Assert.Equal([28, 5], layer.WeightIh(0).Value.Shape.ToArray());
        Assert.Equal([28, 14], layer.WeightIh(1, 1).Value.Shape.ToArray());
    }

    [Fact]
    public void Initialisation_IsPyTorchUniform_WithOptionalOrthogonalAndForgetBias()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 3, 8, forgetBiasOne: true, orthogonalRecurrent: true), new Rng(1));
        float bound = 1f / MathF.Sqrt(8);
        Assert.All(layer.WeightIh(0).Value.Span.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(layer.BiasIh(0).Value.Span.Slice(8, 8).ToArray(), v => Assert.Equal(1f, v));
        ReadOnlySpan<float> w = layer.WeightHh(0).Value.Span.Slice(2 * 64, 64); // the g block
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
            {
                double dot = 0;
                for (int k = 0; k < 8; k++) dot += w[i * 8 + k] * w[j * 8 + k];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
    }

    [Fact]
    public void BadShapes_AreRejectedWithExpectedAndActual()
    {
        var layer = Layer(CellKind.Lstm, layers: 1);
        using var tape = new Tape();
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(tape, Tape.Constant(Tensor.Zeros(4, 2, 6))));
        Assert.Contains("[4, 2, 6]", e.Message);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(tape, Tape.Constant(Tensor.Zeros(4, 2, 5)), lengths: [4, 5]));
        Assert.Contains("length 5", e.Message);
        e = Assert.Throws<ArgumentException>(() => layer.Forward(tape, Tape.Constant(Tensor.Zeros(4, 2, 5)), new RecurrentState(Tape.Constant(Tensor.Zeros(1, 2, 7)), null)));
        Assert.Contains("needs C", e.Message);
    }
}

public sealed class ModuleTests
{
    [Fact]
    public void Modules_ListParametersWithPyTorchNames()
    {
        var rng = new Rng(1);
        var embedding = new Embedding(10, 4, rng);
        var head = new Linear(4, 3, rng);
        var names = embedding.NamedParameters("embedding.").Concat(head.NamedParameters("decoder.out.")).Select(p => p.Name);
        Assert.Equal(["embedding.weight", "decoder.out.weight", "decoder.out.bias"], names);
        Assert.Empty(new Dropout(0.5f).NamedParameters());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1f));
    }

    [Fact]
    public void Dropout_EvalMode_IsIdentity()
    {
        using var tape = new Tape { Training = false };
        var x = Tape.Constant(Tensor.FromArray([1f, 2f, 3f], 3));
        Assert.Same(x, new Dropout(0.5f).Forward(tape, x, new Rng(1)));
    }
}
