using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

/// <summary>
/// Layers with at least 1,024 gate rows (512 in inference) project each step's rows inside the time loop
/// (DirectionPass.ProjectInLoop) instead of all T·B rows up front (when training, for inputs of at most 256 features). A GEMM row does not depend on the other rows, so the outputs, final states and
/// every gradient must keep the bits of projecting up front: with and without gradients, one and two layers, one and
/// two directions, mixed lengths, on one thread (a step at a time) and on two (the loop split by rows).
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class ProjectionInLoopTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 256, 2, false, 1)]
    [InlineData(CellKind.Lstm, 256, 2, false, 2)]
    [InlineData(CellKind.Lstm, 256, 1, true, 2)]
    [InlineData(CellKind.Gru, 342, 2, false, 2)]
    [InlineData(CellKind.Gru, 342, 1, true, 1)]
    [InlineData(CellKind.RnnTanh, 1024, 1, false, 2)]
    public void InLoop_KeepsTheBitsOfProjectingUpFront(CellKind cell, int hidden, int layers, bool bidirectional, int threads)
    {
        int savedThreads = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = threads;
            foreach (bool train in new[] { true, false })
            {
                float[] upFront = Run(cell, hidden, layers, bidirectional, train, inLoop: false);
                float[] inLoop = Run(cell, hidden, layers, bidirectional, train, inLoop: true);
                TestData.AssertBitIdentical(upFront, inLoop, $"{cell} H={hidden} L={layers} bi={bidirectional} threads={threads} train={train}");
            }
        }
        finally
        {
            Parallelism.ThreadCount = savedThreads;
        }
    }

    [Fact]
    public void InLoop_IsTakenOnlyWhereItApplies()
    {
        foreach (bool training in new[] { false, true })
        {
            Assert.True(Pass(CellKind.Lstm, 256, 256).ProjectsInLoop(training));
            Assert.False(Pass(CellKind.Lstm, 127, 4).ProjectsInLoop(training));          // 508 gate rows
            Assert.False(Pass(CellKind.RnnTanh, 511, 4).ProjectsInLoop(training));
            Assert.False(Pass(CellKind.GruOriginal, 512, 4).ProjectsInLoop(training));
            Assert.False(Pass(CellKind.LayerNormLstm, 256, 4).ProjectsInLoop(training));
        }
        Assert.True(Pass(CellKind.Lstm, 512, 512).ProjectsInLoop(training: false));
        Assert.True(Pass(CellKind.RnnTanh, 512, 4).ProjectsInLoop(training: false));   // in inference from 512 gate rows,
        Assert.False(Pass(CellKind.RnnTanh, 512, 4).ProjectsInLoop(training: true));   // when training from 1,024
        Assert.False(Pass(CellKind.Lstm, 255, 4).ProjectsInLoop(training: true));      // 1,020 gate rows
        Assert.False(Pass(CellKind.Lstm, 512, 512).ProjectsInLoop(training: true));    // a wide input: projected up front
        Assert.Throws<InvalidOperationException>(() => Pass(CellKind.GruOriginal, 8, 4).ProjectInLoop(Tensor.Zeros(2, 3, 4)));
    }

    private static DirectionPass Pass(CellKind cell, int hidden, int inputs)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, inputs, hidden), new Rng(1));
        return new DirectionPass(cell, 2, 3, inputs, hidden, false, new bool[6], layer.WeightIh(0), layer.WeightHh(0), layer.BiasIh(0), layer.BiasHh(0),
            norms: layer.Norms(0));
    }

    private static float[] Run(CellKind cell, int hidden, int layers, bool bidirectional, bool train, bool inLoop)
    {
        const int t = 5, b = 20, inputs = 24;
        bool saved = RecurrentRun.ProjectionsInLoop;
        RecurrentRun.ProjectionsInLoop = inLoop;
        try
        {
            var layer = new RecurrentLayer(new RecurrentOptions(cell, inputs, hidden, layers, bidirectional), new Rng(7));
            var x = new Variable(Tensor.FromArray(TestData.Uniform(t * b * inputs, 3), [t, b, inputs]), requiresGrad: train);
            int[] lengths = [.. Enumerable.Range(0, b).Select(r => 1 + r % t)];
            using var tape = new Tape();
            if (!train)
            {
                using var scope = tape.NoGrad();
                RecurrentResult inference = layer.Forward(tape, x, lengths: lengths);
                return [.. inference.Output.Value.Span.ToArray(), .. inference.Final.H.Value.Span.ToArray()];
            }
            RecurrentResult r = layer.Forward(tape, x, lengths: lengths);
            float[] values = [.. r.Output.Value.Span.ToArray(), .. r.Final.H.Value.Span.ToArray()];
            tape.Backward(r.Output, Tensor.FromArray(TestData.Uniform(r.Output.Value.Length, 4), r.Output.Value.Shape.ToArray()));
            return [.. values, .. x.Grad!.Span.ToArray(), .. layer.Parameters().SelectMany(p => p.Grad!.Span.ToArray())];
        }
        finally
        {
            RecurrentRun.ProjectionsInLoop = saved;
        }
    }
}
