// Sanity checks on the libtorch oracle fixtures themselves: they load, shapes agree with data, recurrent ones
// carry every PyTorch parameter and gradient their config implies, and padded steps are zero.
// Comparisons of our layers and optimizers against these fixtures live with those components' tests.
namespace Recurrent.Tests.Oracle;

public sealed class OracleFixtureTests
{
    private static readonly string[] Cells = ["rnn_tanh", "rnn_relu", "lstm", "gru"];

    public static TheoryData<string> AllFixtures() => new(OracleFixture.AllFixtures());
    public static TheoryData<string> RecurrentFixtures() => new(OracleFixture.AllRecurrentFixtures());
    public static TheoryData<string> OptimizerFixtures() => new(OracleFixture.AllOptimizerFixtures());

    [Fact]
    public void FixtureSet_IsComplete()
    {
        var expected = new List<string>();
        foreach (string cell in Cells)
            foreach (int layers in new[] { 1, 2 })
                foreach (string direction in new[] { "uni", "bi" })
                    foreach (string lengths in new[] { "equal", "mixed" })
                        expected.Add($"{cell}_l{layers}_{direction}_{lengths}.json");
        Assert.Equal(expected.Order(StringComparer.Ordinal), OracleFixture.AllRecurrentFixtures());
        Assert.Subset(OracleFixture.AllOptimizerFixtures().ToHashSet(), new HashSet<string> { "optim_adam.json", "optim_adamw.json", "optim_rmsprop.json" });
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void EveryFixture_Loads_WithMetadataAndConsistentShapes(string fileName)
    {
        var fixture = OracleFixture.Load(fileName);
        Assert.Equal("Recurrent.Fixtures", fixture.Generator);
        Assert.False(string.IsNullOrEmpty(fixture.TorchSharpVersion));
        Assert.False(string.IsNullOrEmpty(fixture.TorchVersion));
        Assert.NotEmpty(fixture.Names);
        foreach (string name in fixture.Names)
        {
            long product = fixture.Shape(name).Aggregate(1L, (p, d) => p * d);
            Assert.True(product == fixture.Data(name).Length, $"{fileName} {name}: shape [{string.Join(", ", fixture.Shape(name))}] holds {product} values, data has {fixture.Data(name).Length}");
            Assert.All(fixture.Data(name), x => Assert.True(float.IsFinite(x), $"{fileName} {name}: non-finite value {x}"));
        }
    }

    [Theory]
    [MemberData(nameof(RecurrentFixtures))]
    public void RecurrentFixture_HasEveryTensorItsConfigImplies_WithMatchingGradientShapes(string fileName)
    {
        var fixture = OracleFixture.Load(fileName);
        var expected = ExpectedRecurrentShapes(fixture);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), fixture.Names.Order(StringComparer.Ordinal));
        foreach (var (name, shape) in expected)
            Assert.True(shape.SequenceEqual(fixture.Shape(name)), $"{fileName} {name}: expected shape [{string.Join(", ", shape)}], actual [{string.Join(", ", fixture.Shape(name))}]");
    }

    [Theory]
    [MemberData(nameof(RecurrentFixtures))]
    public void MixedLengthFixture_OutputAndGradOutputAreZeroPastEachLength(string fileName)
    {
        var fixture = OracleFixture.Load(fileName);
        var lengths = fixture.Config.GetProperty("lengths");
        if (lengths.ValueKind == System.Text.Json.JsonValueKind.Null) return;
        int[] shape = fixture.Shape("output"); // [T, B, D·H]
        int time = shape[0], batch = shape[1], features = shape[2];
        int[] length = lengths.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(batch, length.Length);
        foreach (string name in new[] { "output", "grad_output" })
        {
            float[] data = fixture.Data(name);
            for (int b = 0; b < batch; b++)
                for (int t = length[b]; t < time; t++)
                    for (int f = 0; f < features; f++)
                    {
                        float value = data[(t * batch + b) * features + f];
                        Assert.True(value == 0, $"{fileName} {name}[{t}, {b}, {f}]: expected 0 past length {length[b]}, actual {value:R}");
                    }
        }
    }

    [Theory]
    [MemberData(nameof(OptimizerFixtures))]
    public void OptimizerFixture_HasInitialParameter_AndOneGradientAndParameterPerStep(string fileName)
    {
        var fixture = OracleFixture.Load(fileName);
        Assert.False(string.IsNullOrEmpty(fixture.Config.GetProperty("optimizer").GetString()));
        int steps = fixture.Config.GetProperty("steps").GetInt32();
        Assert.True(steps > 0);
        int[] shape = fixture.Shape("param.init");
        for (int step = 0; step < steps; step++)
        {
            Assert.Equal(shape, fixture.Shape($"grad.step{step}"));
            Assert.Equal(shape, fixture.Shape($"param.step{step}"));
        }
        Assert.Equal(1 + 2 * steps, fixture.Names.Count());
    }

    /// <summary>Every tensor name a recurrent fixture must hold, with its shape, from its config.</summary>
    private static Dictionary<string, int[]> ExpectedRecurrentShapes(OracleFixture fixture)
    {
        var config = fixture.Config;
        string cell = config.GetProperty("cell").GetString() ?? "";
        int inputSize = config.GetProperty("input_size").GetInt32();
        int hidden = config.GetProperty("hidden_size").GetInt32();
        int layers = config.GetProperty("num_layers").GetInt32();
        int directions = config.GetProperty("bidirectional").GetBoolean() ? 2 : 1;
        int batch = config.GetProperty("batch").GetInt32();
        int time = config.GetProperty("time").GetInt32();
        int gateRows = cell switch
        {
            "lstm" => 4 * hidden,
            "gru" => 3 * hidden,
            "rnn_tanh" or "rnn_relu" => hidden,
            _ => throw new InvalidDataException($"{fixture.FileName}: unknown cell '{cell}'; expected one of {string.Join(", ", Cells)}."),
        };
        bool lstm = cell == "lstm";

        var shapes = new Dictionary<string, int[]>
        {
            ["input"] = [time, batch, inputSize],
            ["h0"] = [layers * directions, batch, hidden],
            ["output"] = [time, batch, directions * hidden],
            ["h_n"] = [layers * directions, batch, hidden],
            ["grad_output"] = [time, batch, directions * hidden],
            ["grad_h_n"] = [layers * directions, batch, hidden],
        };
        if (lstm)
        {
            shapes["c0"] = [layers * directions, batch, hidden];
            shapes["c_n"] = [layers * directions, batch, hidden];
            shapes["grad_c_n"] = [layers * directions, batch, hidden];
        }
        var gradients = new List<string> { "input", "h0" };
        if (lstm) gradients.Add("c0");
        for (int layer = 0; layer < layers; layer++)
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                int layerInput = layer == 0 ? inputSize : directions * hidden;
                shapes["weight_ih" + suffix] = [gateRows, layerInput];
                shapes["weight_hh" + suffix] = [gateRows, hidden];
                shapes["bias_ih" + suffix] = [gateRows];
                shapes["bias_hh" + suffix] = [gateRows];
                gradients.AddRange(["weight_ih" + suffix, "weight_hh" + suffix, "bias_ih" + suffix, "bias_hh" + suffix]);
            }
        foreach (string name in gradients) shapes["grad." + name] = shapes[name];
        return shapes;
    }
}
