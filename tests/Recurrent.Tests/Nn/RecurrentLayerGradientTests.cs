using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;

namespace Recurrent.Tests.Nn;

public sealed class RecurrentLayerGradientTests
{
    public static TheoryData<CellKind, int, bool, bool> Configurations()
    {
        var data = new TheoryData<CellKind, int, bool, bool>();
        // The layer-normalised LSTM divides by each row's standard deviation, which is small in these 3-unit layers, so
        // float32 central differences are too coarse for it: LayerNormLstmTests checks it against a float64 reference.
        foreach (CellKind cell in Enum.GetValues<CellKind>().Where(c => c != CellKind.LayerNormLstm))
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bidirectional in new[] { false, true })
                    foreach (bool mixed in new[] { false, true })
                        data.Add(cell, layers, bidirectional, mixed);
        return data;
    }

    internal static (RecurrentLayer Layer, Variable X, RecurrentState H0) Build(CellKind cell, int layers, bool bidirectional, int t, int b, int i, int h, int seed)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, i, h, layers, bidirectional), new Rng((ulong)seed));
        int ld = layers * (bidirectional ? 2 : 1);
        Variable x = GradCheck.Leaf(seed + 1, 1f, t, b, i);
        Variable h0 = GradCheck.Leaf(seed + 2, 0.5f, ld, b, h);
        Variable? c0 = cell.HasCellState() ? GradCheck.Leaf(seed + 3, 0.5f, ld, b, h) : null;
        return (layer, x, new RecurrentState(h0, c0));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Recurrent_Backward_MatchesFiniteDifferences(CellKind cell, int layers, bool bidirectional, bool mixedLengths)
    {
        const int t = 4, b = 3, i = 3, h = 3;
        var (layer, x, h0) = Build(cell, layers, bidirectional, t, b, i, h, seed: 11);
        int[]? lengths = mixedLengths ? [4, 2, 1] : null;
        var inputs = new List<Variable> { x, h0.H };
        if (h0.C is not null) inputs.Add(h0.C);
        inputs.AddRange(layer.Parameters());
        IReadOnlyList<Variable> Forward(Tape tape)
        {
            RecurrentResult r = layer.Forward(tape, x, h0, lengths);
            return r.Final.C is null ? [r.Output, r.Final.H] : [r.Output, r.Final.H, r.Final.C];
        }
        // ReLU has kinks (pre-activations within 1e-3 of zero occur here): a much smaller step keeps both
        // evaluations on one side of them, at the price of more float32 rounding, hence the wider atol.
        var result = cell == CellKind.RnnRelu
            ? GradCheckMany.Run(Forward, inputs, eps: 1e-4, atol: 5e-3)
            : GradCheckMany.Run(Forward, inputs);
        Assert.True(result.Passed, $"{cell} L={layers} bi={bidirectional} mixed={mixedLengths}: {result.Report}");
    }

    [Fact]
    public void Recurrent_BatchFirst_MatchesFiniteDifferences()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 3, 4, 2, true, batchFirst: true), new Rng(3));
        Variable x = GradCheck.Leaf(5, 1f, 2, 5, 3);
        var inputs = new List<Variable> { x };
        inputs.AddRange(layer.Parameters());
        var result = GradCheckMany.Run(tape => [layer.Forward(tape, x, lengths: [5, 3]).Output], inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void Recurrent_DropoutBetweenLayers_MatchesFiniteDifferences()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Gru, 3, 4, 2, false, dropout: 0.3f), new Rng(3));
        Variable x = GradCheck.Leaf(5, 1f, 5, 2, 3);
        var inputs = new List<Variable> { x };
        inputs.AddRange(layer.Parameters());
        // The same seed inside the forward gives the same mask on every evaluation.
        var result = GradCheckMany.Run(tape => [layer.Forward(tape, x, dropoutRng: new Rng(99)).Output], inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.GruOriginal)]
    [InlineData(CellKind.RnnTanh)]
    public void Recurrent_WeightDrop_MatchesFiniteDifferences(CellKind cell)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, 3, 4, 2, true) { WeightDrop = 0.4f }, new Rng(3));
        Variable x = GradCheck.Leaf(5, 1f, 5, 2, 3);
        var inputs = new List<Variable> { x };
        inputs.AddRange(layer.Parameters());
        // The same seed inside the forward gives the same DropConnect mask on every evaluation.
        var result = GradCheckMany.Run(tape => [layer.Forward(tape, x, lengths: [5, 3], dropoutRng: new Rng(99)).Output], inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void Recurrent_WeightDrop_ChangesTrainingOutputOnly()
    {
        var plain = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 3, 4), new Rng(3));
        var dropped = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 3, 4) { WeightDrop = 0.5f }, new Rng(3));
        Variable x = GradCheck.Leaf(5, 1f, 6, 2, 3);
        var tape = new Tape();
        float[] reference = plain.Forward(tape, x, dropoutRng: new Rng(1)).Output.Value.Span.ToArray();
        float[] training = dropped.Forward(tape, x, dropoutRng: new Rng(1)).Output.Value.Span.ToArray();
        // Step 0 starts from h = 0, so W_hh (and its mask) first matters at step 1.
        Assert.Equal(reference.AsSpan(0, 8).ToArray(), training.AsSpan(0, 8).ToArray());
        Assert.NotEqual(reference, training);
        tape.Training = false;
        float[] evaluation = dropped.Forward(tape, x).Output.Value.Span.ToArray();
        Assert.Equal(reference, evaluation);
    }

    [Fact]
    public void RecurrentOptions_WeightDropOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentOptions(CellKind.Lstm, 3, 4) { WeightDrop = 1f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentOptions(CellKind.Lstm, 3, 4) { WeightDrop = -0.1f });
    }

    [Fact]
    public void Recurrent_WrongGradient_IsCaughtByTheCheck()
    {
        var (layer, x, h0) = Build(CellKind.Lstm, 1, false, 4, 2, 3, 3, seed: 5);
        // Check against a deliberately different function: a forward that doubles the output is not what Backward differentiates.
        var inputs = new List<Variable> { x };
        var result = GradCheckMany.Run(tape =>
        {
            var r = layer.Forward(tape, x, h0);
            if (!tape.IsRecording) r.Output.Value.Span[0] *= 1.5f;
            return [r.Output];
        }, inputs, maxPerInput: 100);
        Assert.False(result.Passed);
    }
}
