// Our recurrent layers against libtorch: the same weights, inputs and upstream gradients as the fixture
// (written by tools/Recurrent.Fixtures), compared at ~1e-5 relative.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Oracle;

public sealed class RecurrentOracleTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string f in OracleFixture.AllRecurrentFixtures()) data.Add(f);
        return data;
    }

    private static Tensor TensorOf(OracleFixture f, string name) => Tensor.FromArray(f.Data(name), f.Shape(name));

    private static void AssertMatches(OracleFixture f, string name, ReadOnlySpan<float> actual) =>
        TestData.AssertClose(f.Data(name), actual, absTolerance: 2e-6, relTolerance: 1e-5, context: $"{f.FileName} {name}");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Recurrent_ForwardAndBackward_MatchLibtorch(string fileName)
    {
        OracleFixture f = OracleFixture.Load(fileName);
        var config = f.Config;
        CellKind cell = config.GetProperty("cell").GetString() switch
        {
            "rnn_tanh" => CellKind.RnnTanh,
            "rnn_relu" => CellKind.RnnRelu,
            "lstm" => CellKind.Lstm,
            "gru" => CellKind.Gru,
            var other => throw new InvalidDataException($"unknown cell {other}"),
        };
        var options = new RecurrentOptions(cell, config.GetProperty("input_size").GetInt32(), config.GetProperty("hidden_size").GetInt32(),
            config.GetProperty("num_layers").GetInt32(), config.GetProperty("bidirectional").GetBoolean());
        var layer = new RecurrentLayer(options, new Rng(0));
        foreach (var (name, parameter) in layer.NamedParameters())
        {
            Assert.Equal(f.Shape(name), parameter.Value.Shape.ToArray());
            f.Data(name).CopyTo(parameter.Value.Span);
        }
        int[]? lengths = config.GetProperty("lengths").ValueKind == System.Text.Json.JsonValueKind.Null
            ? null : config.GetProperty("lengths").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var x = new Variable(TensorOf(f, "input"), requiresGrad: true);
        var h0 = new Variable(TensorOf(f, "h0"), requiresGrad: true);
        Variable? c0 = cell == CellKind.Lstm ? new Variable(TensorOf(f, "c0"), requiresGrad: true) : null;
        using var tape = new Tape();
        RecurrentResult result = layer.Forward(tape, x, new RecurrentState(h0, c0), lengths);

        AssertMatches(f, "output", result.Output.Value.Span);
        AssertMatches(f, "h_n", result.Final.H.Value.Span);
        var seeds = new List<(Variable, Tensor)> { (result.Output, TensorOf(f, "grad_output")), (result.Final.H, TensorOf(f, "grad_h_n")) };
        if (cell == CellKind.Lstm)
        {
            AssertMatches(f, "c_n", result.Final.C!.Value.Span);
            seeds.Add((result.Final.C!, TensorOf(f, "grad_c_n")));
        }
        tape.Backward(seeds);

        AssertMatches(f, "grad.input", x.Grad!.Span);
        AssertMatches(f, "grad.h0", h0.Grad!.Span);
        if (c0 is not null) AssertMatches(f, "grad.c0", c0.Grad!.Span);
        foreach (var (name, parameter) in layer.NamedParameters())
            AssertMatches(f, "grad." + name, parameter.Grad!.Span);
    }
}
