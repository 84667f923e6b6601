using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

/// <summary>
/// The layer-normalised LSTM against its definition, written out in double precision; its gradients are checked by
/// finite differences with every other cell in <see cref="RecurrentLayerGradientTests"/> and <see cref="RecurrentTokenInputTests"/>.
/// </summary>
public sealed class LayerNormLstmTests
{
    /// <summary>Gains in [0.5, 1.5] and shifts in [−0.5, 0.5] instead of the initial 1 and 0, so that each one matters.</summary>
    internal static void RandomizeNormalizations(IModule module, int seed)
    {
        var rng = new Rng((ulong)seed);
        foreach (NamedParameter p in module.NamedParameters())
        {
            if (!p.Name.Contains("ln_")) continue;
            if (p.Name.Contains("ln_bias")) rng.FillUniform(p.Parameter.Value.Span, -0.5f, 0.5f);
            else rng.FillUniform(p.Parameter.Value.Span, 0.5f, 1.5f);
        }
    }

    [Fact]
    public void Parameters_HavePyTorchStyleNames_InitialValues_AndNoWeightDecay()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.LayerNormLstm, 3, 5, 2, true), new Rng(1));
        var named = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(2 * 2 * 8, named.Count);
        Assert.Equal([20], named["ln_weight_ih_l1_reverse"].Value.Shape.ToArray());
        Assert.Equal([20], named["ln_weight_hh_l0"].Value.Shape.ToArray());
        Assert.Equal([5], named["ln_weight_c_l0"].Value.Shape.ToArray());
        Assert.Equal([5], named["ln_bias_c_l1"].Value.Shape.ToArray());
        Assert.All(named["ln_weight_hh_l1"].Value.Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(named["ln_bias_c_l0_reverse"].Value.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.True(named["ln_weight_c_l0"].ExemptFromWeightDecay);
        Assert.False(named["weight_hh_l0"].ExemptFromWeightDecay);
        Assert.Equal(4, layer.Options.GateCount);
        Assert.True(layer.Options.HasCellState);
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(2, true, false)]
    [InlineData(2, false, true)]
    public void Forward_MatchesTheDefinitionInDouble(int layers, bool bidirectional, bool mixedLengths)
    {
        var (layer, x, h0, c0) = Build(layers, bidirectional, seed: 2);
        int[]? lengths = mixedLengths ? Lengths : null;
        using var tape = new Tape { Training = false };
        RecurrentResult r = layer.Forward(tape, x, new RecurrentState(h0, c0), lengths);
        var (output, finalH, finalC) = Reference(layer.Options, Doubles(layer), D(x), D(h0), D(c0), lengths);
        TestData.AssertClose(output.Select(v => (float)v).ToArray(), r.Output.Value.Span, 2e-5, 1e-4, "output:");
        TestData.AssertClose(finalH.Select(v => (float)v).ToArray(), r.Final.H.Value.Span, 2e-5, 1e-4, "final h:");
        TestData.AssertClose(finalC.Select(v => (float)v).ToArray(), r.Final.C!.Value.Span, 2e-5, 1e-4, "final c:");
    }

    /// <summary>
    /// Every gradient of the fused float32 backward pass (input, initial state, weights, biases, gains) against central
    /// differences of the float64 definition: L = Σ w·y over the output and both final states with fixed random w.
    /// </summary>
    [Theory]
    [InlineData(1, false, false)]
    [InlineData(1, true, true)]
    [InlineData(2, false, true)]
    [InlineData(2, true, false)]
    public void Backward_MatchesFiniteDifferencesOfTheDefinitionInDouble(int layers, bool bidirectional, bool mixedLengths)
    {
        var (layer, x, h0, c0) = Build(layers, bidirectional, seed: 7);
        int[]? lengths = mixedLengths ? Lengths : null;
        var tape = new Tape();
        RecurrentResult r = layer.Forward(tape, x, new RecurrentState(h0, c0), lengths);
        double[][] weights = [TestData.UniformDouble(r.Output.Value.Length, 8), TestData.UniformDouble(r.Final.H.Value.Length, 9), TestData.UniformDouble(r.Final.C!.Value.Length, 10)];
        tape.Backward([(r.Output, Tensor.FromArray(F(weights[0]), r.Output.Value.Shape.ToArray())),
            (r.Final.H, Tensor.FromArray(F(weights[1]), r.Final.H.Value.Shape.ToArray())), (r.Final.C, Tensor.FromArray(F(weights[2]), r.Final.C.Value.Shape.ToArray()))]);

        Dictionary<string, double[]> parameters = Doubles(layer);
        double[] xs = D(x), h0s = D(h0), c0s = D(c0);
        double Loss()
        {
            var (o, hN, cN) = Reference(layer.Options, parameters, xs, h0s, c0s, lengths);
            double sum = 0;
            foreach (var (y, w) in new[] { (o, weights[0]), (hN, weights[1]), (cN, weights[2]) })
                for (int i = 0; i < y.Length; i++) sum += y[i] * w[i];
            return sum;
        }
        var checks = new List<(string Name, double[] Values, float[] Analytic)> { ("x", xs, x.Grad!.Span.ToArray()), ("h0", h0s, h0.Grad!.Span.ToArray()), ("c0", c0s, c0.Grad!.Span.ToArray()) };
        foreach (NamedParameter p in layer.NamedParameters()) checks.Add((p.Name, parameters[p.Name], p.Parameter.Grad!.Span.ToArray()));
        const double eps = 1e-6;
        foreach (var (name, values, analytic) in checks)
            for (int j = 0; j < values.Length; j++)
            {
                double saved = values[j];
                values[j] = saved + eps;
                double plus = Loss();
                values[j] = saved - eps;
                double minus = Loss();
                values[j] = saved;
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[j]) <= 2e-4 + 2e-3 * Math.Abs(numeric),
                    $"L={layers} bi={bidirectional} mixed={mixedLengths}: {name}[{j}]: numeric {numeric:G6}, analytic {analytic[j]:G6}");
            }
    }

    private static readonly int[] Lengths = [5, 2, 0];

    private static (RecurrentLayer Layer, Variable X, Variable H0, Variable C0) Build(int layers, bool bidirectional, int seed)
    {
        const int t = 5, b = 3, input = 4, h = 6;
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.LayerNormLstm, input, h, layers, bidirectional), new Rng((ulong)seed));
        RandomizeNormalizations(layer, seed + 1);
        int ld = layers * (bidirectional ? 2 : 1);
        Variable Leaf(int s, params int[] shape) => new(Tensor.FromArray(TestData.Uniform(shape.Aggregate(1, (a, n) => a * n), s), shape), requiresGrad: true);
        return (layer, Leaf(seed + 2, t, b, input), Leaf(seed + 3, ld, b, h), Leaf(seed + 4, ld, b, h));
    }

    private static Dictionary<string, double[]> Doubles(RecurrentLayer layer) => layer.NamedParameters().ToDictionary(p => p.Name, p => D(p.Parameter));

    /// <summary>
    /// The stack by its definition in float64: per layer and direction, gates = γ_ih⊙LN(W_ih x) + γ_hh⊙LN(W_hh h) + b_ih + b_hh,
    /// c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(γ_c⊙LN(c') + β_c); past a sequence's length the state is kept and the output is 0.
    /// </summary>
    private static (double[] Output, double[] FinalH, double[] FinalC) Reference(RecurrentOptions o, Dictionary<string, double[]> p,
        double[] x, double[] h0, double[] c0, int[]? lengths)
    {
        int h = o.HiddenSize, d = o.Directions, b = h0.Length / (o.NumLayers * d * h), t = x.Length / (b * o.InputSize);
        double[] below = x;
        int inSize = o.InputSize;
        var finalH = new double[h0.Length];
        var finalC = new double[c0.Length];
        for (int l = 0; l < o.NumLayers; l++)
        {
            var output = new double[t * b * d * h];
            for (int dir = 0; dir < d; dir++)
            {
                int k = l * d + dir;
                string suffix = $"_l{l}{(dir == 1 ? "_reverse" : "")}";
                double[] wIh = p["weight_ih" + suffix], wHh = p["weight_hh" + suffix], bIh = p["bias_ih" + suffix], bHh = p["bias_hh" + suffix];
                double[] gIh = p["ln_weight_ih" + suffix], gHh = p["ln_weight_hh" + suffix], gC = p["ln_weight_c" + suffix], bC = p["ln_bias_c" + suffix];
                for (int s = 0; s < b; s++)
                {
                    double[] hs = h0.AsSpan((k * b + s) * h, h).ToArray(), cs = c0.AsSpan((k * b + s) * h, h).ToArray();
                    int length = lengths?[s] ?? t;
                    for (int step = 0; step < t; step++)
                    {
                        int time = dir == 1 ? t - 1 - step : step;
                        if (time >= length) continue;
                        double[] ax = Norm(MatVec(wIh, below.AsSpan((time * b + s) * inSize, inSize).ToArray(), 4 * h), gIh, null);
                        double[] ah = Norm(MatVec(wHh, hs, 4 * h), gHh, null);
                        var gates = new double[4 * h];
                        for (int j = 0; j < 4 * h; j++) gates[j] = ax[j] + ah[j] + bIh[j] + bHh[j];
                        var cNew = new double[h];
                        for (int j = 0; j < h; j++) cNew[j] = Sigmoid(gates[h + j]) * cs[j] + Sigmoid(gates[j]) * Math.Tanh(gates[2 * h + j]);
                        double[] cc = Norm(cNew, gC, bC);
                        for (int j = 0; j < h; j++) hs[j] = Sigmoid(gates[3 * h + j]) * Math.Tanh(cc[j]);
                        cs = cNew;
                        hs.CopyTo(output, (time * b + s) * d * h + dir * h);
                    }
                    hs.CopyTo(finalH, (k * b + s) * h);
                    cs.CopyTo(finalC, (k * b + s) * h);
                }
            }
            below = output;
            inSize = d * h;
        }
        return (below, finalH, finalC);
    }

    private static float[] F(double[] v) => v.Select(a => (float)a).ToArray();

    [Fact]
    public void WeightDecay_LeavesTheNormalizationsAlone()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.LayerNormLstm, 2, 3), new Rng(1));
        var parameters = layer.NamedParameters();
        foreach (NamedParameter p in parameters) p.Parameter.EnsureGrad().Span.Clear();
        float[] gainBefore = layer.NamedParameters().Single(p => p.Name == "ln_weight_hh_l0").Parameter.Value.Span.ToArray();
        float[] weightBefore = layer.WeightHh(0).Value.Span.ToArray();
        Optimizer[] optimizers =
        [
            new AdamW(parameters, new AdamWOptions(0.1f, WeightDecay: 0.5f)),
            new Adam(parameters, new AdamOptions(0.1f, WeightDecay: 0.5f)),
            new Sgd(parameters, new SgdOptions(0.1f, WeightDecay: 0.5f)),
        ];
        foreach (Optimizer optimizer in optimizers) optimizer.Step();
        Assert.Equal(gainBefore, layer.NamedParameters().Single(p => p.Name == "ln_weight_hh_l0").Parameter.Value.Span.ToArray());
        Assert.NotEqual(weightBefore, layer.WeightHh(0).Value.Span.ToArray());
    }

    [Fact]
    public void ForgetBiasOne_AppliesToTheNormalisedCell()
    {
        var layer = new RecurrentLayer(new RecurrentOptions(CellKind.LayerNormLstm, 2, 3, forgetBiasOne: true), new Rng(1));
        Assert.Equal([1f, 1f, 1f], layer.BiasIh(0).Value.Span.Slice(3, 3).ToArray());
        Assert.Equal([0f, 0f, 0f], layer.BiasHh(0).Value.Span.Slice(3, 3).ToArray());
    }

    private static double[] D(Variable v) => v.Value.Span.ToArray().Select(f => (double)f).ToArray();

    private static double[] MatVec(double[] w, double[] x, int rows)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < x.Length; j++) y[r] += w[r * x.Length + j] * x[j];
        return y;
    }

    /// <summary>γ ⊙ (v − μ)/√(σ² + 1e-5) + β with the biased variance (β null: 0).</summary>
    private static double[] Norm(double[] v, double[] gain, double[]? shift)
    {
        double mu = v.Average(), variance = v.Select(a => (a - mu) * (a - mu)).Average();
        double inv = 1 / Math.Sqrt(variance + 1e-5);
        return v.Select((a, j) => gain[j] * (a - mu) * inv + (shift?[j] ?? 0)).ToArray();
    }

    private static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));
}
