using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Tests.Autograd;

namespace Recurrent.Tests.Nn;

/// <summary>
/// RecurrentLayer.Forward on token ids of an embedding table: with a small vocabulary layer 0 projects the table's rows
/// instead of the looked-up sequence, which must give the function and gradients of the lookup followed by the layer.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class RecurrentTokenInputTests
{
    public static TheoryData<CellKind, int, bool, bool, bool> Configurations()
    {
        var data = new TheoryData<CellKind, int, bool, bool, bool>();
        foreach (CellKind cell in Enum.GetValues<CellKind>())
        {
            data.Add(cell, 1, false, false, false);
            data.Add(cell, 2, true, true, false);
        }
        data.Add(CellKind.Lstm, 2, false, false, true);
        data.Add(CellKind.Gru, 1, true, true, true);
        return data;
    }

    private static int[] Tokens(int n, int vocabulary, int seed)
    {
        var rng = new Rng((ulong)seed);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.NextInt(vocabulary);
        return ids;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void TokenInput_MatchesLookupThenLayer(CellKind cell, int layers, bool bidirectional, bool mixedLengths, bool batchFirst)
    {
        const int t = 9, b = 5, v = 7, e = 6, h = 8;   // V ≤ T·B / 2: the folded path
        var layer = new RecurrentLayer(new RecurrentOptions(cell, e, h, layers, bidirectional, batchFirst: batchFirst), new Rng(3));
        Variable table = GradCheck.Leaf(4, 1f, v, e);
        int[] tokens = Tokens(t * b, v, 5);
        int[]? lengths = mixedLengths ? [9, 4, 1, 9, 0] : null;
        int ld = layers * (bidirectional ? 2 : 1);
        Variable h0 = GradCheck.Leaf(6, 0.5f, ld, b, h);
        Variable? c0 = cell.HasCellState() ? GradCheck.Leaf(7, 0.5f, ld, b, h) : null;
        var state = new RecurrentState(h0, c0);
        var inputs = new List<Variable> { table, h0 };
        if (c0 is not null) inputs.Add(c0);
        inputs.AddRange(layer.Parameters());

        (float[][] Values, float[][] Grads) Run(Func<Tape, RecurrentResult> forward)
        {
            foreach (Variable p in inputs) p.ZeroGrad();
            var tape = new Tape();
            RecurrentResult r = forward(tape);
            Variable[] outs = r.Final.C is null ? [r.Output, r.Final.H] : [r.Output, r.Final.H, r.Final.C];
            // A loss that weighs every output element differently.
            Variable loss = tape.Sum(tape.Mul(outs[0], new Variable(Tensor.FromArray(TestData.Uniform(outs[0].Value.Length, 8), outs[0].Value.Shape.ToArray()), requiresGrad: false)));
            foreach (Variable o in outs.Skip(1)) loss = tape.Add(loss, tape.Sum(o));
            tape.Backward(loss);
            float[][] values = outs.Select(o => o.Value.Span.ToArray()).ToArray();
            float[][] grads = inputs.Select(p => p.Grad is null ? new float[p.Value.Length] : p.Grad.Span.ToArray()).ToArray();
            tape.Reset();
            return (values, grads);
        }

        int[] prefix = batchFirst ? [b, t] : [t, b];
        var expected = Run(tape => layer.Forward(tape, tape.Embedding(table, tokens, prefix), state, lengths));
        var actual = Run(tape => layer.Forward(tape, table, tokens, t, b, state, lengths));
        for (int k = 0; k < expected.Values.Length; k++)
            TestData.AssertClose(expected.Values[k], actual.Values[k], 1e-5, 1e-5, $"output {k}");
        Assert.Contains(actual.Grads[0], g => g != 0f);   // the table's gradient arrived
        for (int k = 0; k < expected.Grads.Length; k++)
            TestData.AssertClose(expected.Grads[k], actual.Grads[k], 1e-4, 1e-4, $"gradient of input {k}");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.GruOriginal)]
    public void TokenInput_MatchesFiniteDifferences(CellKind cell)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, 3, 3, 2, bidirectional: true), new Rng(11));
        Variable table = GradCheck.Leaf(12, 1f, 4, 3);
        int[] tokens = Tokens(4 * 3, 4, 13);
        var inputs = new List<Variable> { table };
        inputs.AddRange(layer.Parameters());
        var result = GradCheckMany.Run(tape =>
        {
            RecurrentResult r = layer.Forward(tape, table, tokens, 4, 3, lengths: [4, 2, 3]);
            return [r.Output, r.Final.H];
        }, inputs);
        Assert.True(result.Passed, result.Report);
    }

    [Fact]
    public void TokenInput_LargeVocabulary_TakesTheLookupAndGivesTheSameBits()
    {
        // V > T·B / 2: the lookup is cheaper than projecting the table, so the layer runs on the looked-up rows.
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 4, 5, 1), new Rng(1));
        Variable table = GradCheck.Leaf(2, 1f, 50, 4);
        int[] tokens = Tokens(6 * 2, 50, 3);
        var tape = new Tape();
        float[] expected = layer.Forward(tape, tape.Embedding(table, tokens, [6, 2])).Output.Value.Span.ToArray();
        float[] actual = layer.Forward(tape, table, tokens, 6, 2).Output.Value.Span.ToArray();
        TestData.AssertBitIdentical(expected, actual);
    }

    [Fact]
    public void TokenInput_BadIds_AreRefused()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 4, 5, 1), new Rng(1));
        Variable table = GradCheck.Leaf(2, 1f, 3, 4);
        var tape = new Tape();
        int[] tokens = new int[20];
        tokens[7] = 3;
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(tape, table, tokens, 10, 2));
        Assert.Contains("position 7", e.Message);
        Assert.Throws<ArgumentException>(() => layer.Forward(tape, table, new int[19], 10, 2));
        Assert.Throws<ArgumentException>(() => layer.Forward(tape, GradCheck.Leaf(2, 1f, 3, 5), new int[20], 10, 2));
    }

    [Fact]
    public void TokenInput_ResultsDoNotDependOnTheThreadCount()
    {
        float[]? first = null, firstGrad = null;
        int saved = Parallelism.ThreadCount;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Parallelism.ThreadCount = threads;
                var layer = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 16, 300, 1), new Rng(1));
                Variable table = GradCheck.Leaf(2, 1f, 20, 16);
                int[] tokens = Tokens(40 * 8, 20, 3);
                var tape = new Tape();
                RecurrentResult r = layer.Forward(tape, table, tokens, 40, 8);
                tape.Backward(tape.Sum(r.Output));
                float[] output = r.Output.Value.Span.ToArray(), grad = table.Grad!.Span.ToArray();
                if (first is null) (first, firstGrad) = (output, grad);
                else
                {
                    TestData.AssertBitIdentical(first, output, $"output, {threads} threads");
                    TestData.AssertBitIdentical(firstGrad!, grad, $"table gradient, {threads} threads");
                }
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}
