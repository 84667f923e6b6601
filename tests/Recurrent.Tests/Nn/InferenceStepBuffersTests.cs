using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

/// <summary>
/// Without gradients a recurrent pass keeps what only backward reads for one step at a time: the gates [B, G] where
/// each step starts its rows inside the loop (from a token table or an in-loop projection), the LSTM's cells in three
/// rows, the GRU's hn in one. Inference must give the bits of a forward pass that saves everything: outputs and final
/// states, from tokens and from vectors, projected up front and in the loop, stacked, bidirectional, with mixed
/// lengths, on one thread (a step at a time) and on two (the loop split by rows).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class InferenceStepBuffersTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 256, 2, false, false, 1)]   // 1,024 gate rows: projected in the loop
    [InlineData(CellKind.Lstm, 256, 2, false, false, 2)]
    [InlineData(CellKind.Lstm, 256, 1, true, false, 2)]
    [InlineData(CellKind.Lstm, 40, 2, false, true, 2)]     // layer 0 from a token table, layer 1 projected up front
    [InlineData(CellKind.Lstm, 40, 1, true, true, 1)]
    [InlineData(CellKind.Gru, 342, 2, false, false, 2)]
    [InlineData(CellKind.Gru, 48, 2, true, true, 2)]       // each step copies its token rows into the one step of gates
    [InlineData(CellKind.RnnTanh, 64, 2, false, true, 2)]
    [InlineData(CellKind.RnnTanh, 512, 2, false, false, 2)]  // 512 gate rows: in the loop in inference alone
    [InlineData(CellKind.RnnRelu, 1024, 1, false, false, 1)]
    [InlineData(CellKind.GruOriginal, 32, 2, false, false, 2)]
    [InlineData(CellKind.LayerNormLstm, 32, 1, false, true, 2)]
    public void Inference_KeepsTheBitsOfAForwardPassThatSavesEverything(CellKind cell, int hidden, int layers, bool bidirectional, bool fromTokens, int threads)
    {
        int savedThreads = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = threads;
            float[] saving = Run(cell, hidden, layers, bidirectional, fromTokens, train: true);
            float[] inference = Run(cell, hidden, layers, bidirectional, fromTokens, train: false);
            TestData.AssertBitIdentical(saving, inference, $"{cell} H={hidden} L={layers} bi={bidirectional} tokens={fromTokens} threads={threads}");
        }
        finally
        {
            Parallelism.ThreadCount = savedThreads;
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm, 0)]
    [InlineData(CellKind.Lstm, 1)]
    [InlineData(CellKind.Lstm, 3)]
    [InlineData(CellKind.Gru, 0)]
    [InlineData(CellKind.Gru, 2)]
    public void Inference_FromAGivenState_KeepsTheBitsOfTraining_ForShortSequences(CellKind cell, int steps)
    {
        float[] Final(bool train)
        {
            var layer = new RecurrentLayer(new RecurrentOptions(cell, 5, 256, 2, bidirectional: true), new Rng(3));
            var h0 = Tensor.FromArray(TestData.Uniform(4 * 3 * 256, 5), [4, 3, 256]);
            Tensor? c0 = cell == CellKind.Lstm ? Tensor.FromArray(TestData.Uniform(4 * 3 * 256, 6), [4, 3, 256]) : null;
            var x = new Variable(Tensor.FromArray(TestData.Uniform(steps * 3 * 5, 7), [steps, 3, 5]), requiresGrad: train);
            using var tape = new Tape();
            Tape.NoGradScope? scope = train ? null : tape.NoGrad();
            RecurrentResult r = layer.Forward(tape, x, new RecurrentState(Tape.Constant(h0), c0 is null ? null : Tape.Constant(c0)));
            scope?.Dispose();
            if (steps == 0) TestData.AssertBitIdentical(h0.Span, r.Final.H.Value.Span, "h0");
            return [.. r.Output.Value.Span.ToArray(), .. r.Final.H.Value.Span.ToArray(), .. r.Final.C?.Value.Span.ToArray() ?? []];
        }
        TestData.AssertBitIdentical(Final(train: true), Final(train: false), $"{cell} T={steps}");
    }

    [Fact]
    public void OneStepOfGates_IsKeptOnlyWhereNoProjectionWritesThemAll()
    {
        var tokens = new int[6];
        var embedding = TestData.Uniform(5 * 8, 2);
        bool KeepsOneStep(CellKind cell, bool savesForBackward, Action<DirectionPass>? project = null)
        {
            using DirectionPass pass = Pass(cell, savesForBackward);
            project?.Invoke(pass);
            return pass.KeepsOneStepOfGates;
        }
        Assert.True(KeepsOneStep(CellKind.Lstm, savesForBackward: false));
        Assert.False(KeepsOneStep(CellKind.Lstm, savesForBackward: true));
        Assert.False(KeepsOneStep(CellKind.GruOriginal, savesForBackward: false));
        Assert.False(KeepsOneStep(CellKind.LayerNormLstm, savesForBackward: false));

        Assert.True(KeepsOneStep(CellKind.Lstm, false, p => p.ProjectInLoop(Tensor.Zeros(2, 3, 8))));
        Assert.True(KeepsOneStep(CellKind.RnnTanh, false, p => p.ProjectTokens(embedding, 5, tokens)));
        Assert.False(KeepsOneStep(CellKind.Lstm, false, p => p.Project(new float[2 * 3 * 8])));
        Assert.True(KeepsOneStep(CellKind.Gru, false, p => p.ProjectTokens(embedding, 5, tokens)));
        Assert.False(KeepsOneStep(CellKind.Gru, false, p => p.Project(new float[2 * 3 * 8])));
    }

    [Fact]
    public void APassBuiltForInference_RefusesBackward()
    {
        using DirectionPass pass = Pass(CellKind.Lstm, savesForBackward: false);
        pass.Project(new float[2 * 3 * 8]);
        pass.ForwardLoop(new float[3 * 4], new float[3 * 4], Tensor.Zeros(2, 3, 4), 0, 4, new float[3 * 4], new float[3 * 4]);
        var e = Assert.Throws<InvalidOperationException>(() => pass.BackwardLoop(null, 0, 4, default, default, new float[3 * 4], new float[3 * 4], null));
        Assert.Contains("savesForBackward", e.Message);
    }

    private static DirectionPass Pass(CellKind cell, bool savesForBackward)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, 8, 4), new Rng(1));
        return new DirectionPass(cell, 2, 3, 8, 4, false, Enumerable.Repeat(true, 6).ToArray(), layer.WeightIh(0), layer.WeightHh(0), layer.BiasIh(0),
            layer.BiasHh(0), norms: layer.Norms(0), savesForBackward: savesForBackward);
    }

    private static float[] Run(CellKind cell, int hidden, int layers, bool bidirectional, bool fromTokens, bool train)
    {
        const int t = 6, b = 48, inputs = 24, vocabulary = 11;
        var layer = new RecurrentLayer(new RecurrentOptions(cell, inputs, hidden, layers, bidirectional), new Rng(7));
        int[] lengths = [.. Enumerable.Range(0, b).Select(r => 1 + r % t)];
        using var tape = new Tape();
        Tape.NoGradScope? scope = train ? null : tape.NoGrad();
        RecurrentResult r;
        if (fromTokens)
        {
            var embedding = new Variable(Tensor.FromArray(TestData.Uniform(vocabulary * inputs, 3), [vocabulary, inputs]), requiresGrad: train);
            int[] tokens = [.. Enumerable.Range(0, t * b).Select(i => i * 7 % vocabulary)];
            r = layer.Forward(tape, embedding, tokens, t, b, lengths: lengths);
        }
        else
        {
            var x = new Variable(Tensor.FromArray(TestData.Uniform(t * b * inputs, 3), [t, b, inputs]), requiresGrad: train);
            r = layer.Forward(tape, x, lengths: lengths);
        }
        scope?.Dispose();
        return [.. r.Output.Value.Span.ToArray(), .. r.Final.H.Value.Span.ToArray(), .. r.Final.C?.Value.Span.ToArray() ?? []];
    }
}
