using Recurrent.Nn;
using Recurrent.Onnx;

namespace Recurrent.Tests.Onnx;

public sealed class OnnxGatesTests
{
    [Theory]
    [InlineData(CellKind.RnnTanh, 1)]
    [InlineData(CellKind.RnnRelu, 1)]
    [InlineData(CellKind.Lstm, 4)]
    [InlineData(CellKind.Gru, 3)]
    [InlineData(CellKind.GruOriginal, 3)]
    public void Reorder_ToOnnxAndBack_IsTheIdentity(CellKind cell, int gates)
    {
        const int hidden = 3, columns = 5;
        float[] rows = Enumerable.Range(0, gates * hidden * columns).Select(i => i * 0.5f - 7f).ToArray();

        float[] onnx = OnnxGates.Reorder(rows, cell, hidden, columns, GateLayout.PyTorch);
        float[] back = OnnxGates.Reorder(onnx, cell, hidden, columns, GateLayout.Onnx);

        Assert.Equal(rows, back);
        if (gates > 1) Assert.NotEqual(rows, onnx);
    }

    [Fact]
    public void Reorder_Lstm_PutsIofgInOnnxOrderIofc()
    {
        // One row per gate block (hidden 1, one column): PyTorch i, f, g, o → ONNX i, o, f, c(=g).
        float[] onnx = OnnxGates.Reorder([1f, 2f, 3f, 4f], CellKind.Lstm, 1, 1, GateLayout.PyTorch);
        Assert.Equal([1f, 4f, 2f, 3f], onnx);
    }

    [Fact]
    public void Reorder_Gru_PutsRznInOnnxOrderZrh()
    {
        float[] onnx = OnnxGates.Reorder([1f, 2f, 3f, 4f, 5f, 6f], CellKind.Gru, 2, 1, GateLayout.PyTorch);
        Assert.Equal([3f, 4f, 1f, 2f, 5f, 6f], onnx);
    }

    [Fact]
    public void Reorder_WrongLength_ThrowsNamingTheExpectedCount()
    {
        var e = Assert.Throws<ArgumentException>(() => OnnxGates.Reorder(new float[7], CellKind.Lstm, 2, 1, GateLayout.PyTorch));
        Assert.Contains("must hold 8 values; got 7", e.Message);
    }
}
