using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

/// <summary>
/// RNN and LSTM layers take W_ih's, W_hh's and the biases' gradients from one product over staged rows [X | H_prev | 1]
/// when I + H is small (DirectionPass.WeightGradientsInOneProduct). These compare that with the two separate products, for
/// both directions, a given initial state, mixed lengths, widths with and without the column of ones (I + H a
/// multiple of 16 or not), and a stage of a few K blocks so that the rows are staged in several chunks.
/// </summary>
[Collection(GlobalStateCollection.Name)]
public sealed class SharedWeightGradientTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 4, 12, false)]   // layer 0: I + H = 16 (bias summed apart); layer 1: 24 + 12 (ones column)
    [InlineData(CellKind.Lstm, 5, 6, true)]
    [InlineData(CellKind.RnnTanh, 4, 12, true)]
    [InlineData(CellKind.RnnRelu, 7, 9, false)]
    public void SharedProduct_MatchesSeparateProducts(CellKind cell, int inputs, int hidden, bool mixedLengths)
    {
        const int t = 37, b = 41;   // 1,517 rows: three K blocks of 512, the last partial
        float[][] separate = Gradients(cell, inputs, hidden, mixedLengths, t, b, maxWidth: 0, stageFloats: 1L << 20);
        float[][] shared = Gradients(cell, inputs, hidden, mixedLengths, t, b, maxWidth: 512, stageFloats: 1L << 20);
        float[][] chunked = Gradients(cell, inputs, hidden, mixedLengths, t, b, maxWidth: 512, stageFloats: 1);
        for (int p = 0; p < separate.Length; p++)
        {
            AssertClose(separate[p], shared[p], $"{cell} parameter {p}, one stage");
            // One chunk of 512 rows at a time runs the same K blocks in the same order as one product over all rows.
            TestData.AssertBitIdentical(shared[p], chunked[p], $"{cell} parameter {p}, staged in chunks");
        }
    }

    private static float[][] Gradients(CellKind cell, int inputs, int hidden, bool mixedLengths, int t, int b, int maxWidth, long stageFloats)
    {
        int savedWidth = DirectionPass.SharedProductMaxWidth;
        long savedStage = DirectionPass.StageFloats;
        (DirectionPass.SharedProductMaxWidth, DirectionPass.StageFloats) = (maxWidth, stageFloats);
        try
        {
            var layer = new RecurrentLayer(new RecurrentOptions(cell, inputs, hidden, 2, true), new Rng(5));
            Variable x = new(Tensor.FromArray(TestData.Uniform(t * b * inputs, 1), [t, b, inputs]), requiresGrad: true);
            Variable h0 = new(Tensor.FromArray(TestData.Uniform(4 * b * hidden, 2), [4, b, hidden]), requiresGrad: true);
            Variable? c0 = cell.HasCellState() ? new(Tensor.FromArray(TestData.Uniform(4 * b * hidden, 3), [4, b, hidden]), requiresGrad: true) : null;
            int[]? lengths = mixedLengths ? Enumerable.Range(0, b).Select(r => 1 + r * 7 % t).ToArray() : null;
            if (lengths is not null) lengths[0] = t;
            using var tape = new Tape();
            RecurrentResult r = layer.Forward(tape, x, new RecurrentState(h0, c0), lengths);
            tape.Backward(r.Output, Tensor.FromArray(TestData.Uniform(r.Output.Value.Length, 4), r.Output.Value.Shape.ToArray()));
            return [.. layer.Parameters().Select(p => p.Grad!.Span.ToArray()), x.Grad!.Span.ToArray(), h0.Grad!.Span.ToArray()];
        }
        finally
        {
            (DirectionPass.SharedProductMaxWidth, DirectionPass.StageFloats) = (savedWidth, savedStage);
        }
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale + 1e-6,
                $"{what}[{i}]: {actual[i]} against {expected[i]} from the separate products");
    }
}
