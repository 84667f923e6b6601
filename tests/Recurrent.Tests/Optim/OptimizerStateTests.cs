using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Optim;

public sealed class OptimizerStateTests
{
    /// <summary>Two parameters; "enc.b" has no gradient on steps 0 and 4 so the per-parameter step counts differ.</summary>
    private static NamedParameter[] Model(float[]? weight = null, float[]? bias = null, int biasLength = 3) =>
    [
        new("enc.w", new Parameter(Tensor.FromArray(weight ?? [0.5f, -0.25f, 1f, 2f, -1.5f, 0.75f], 2, 3))),
        new("enc.b", new Parameter(Tensor.FromArray(bias ?? Enumerable.Range(0, biasLength).Select(i => 0.1f * i).ToArray(), biasLength))),
    ];

    private static void SetGradients(NamedParameter[] model, int step)
    {
        var rng = new Rng((ulong)step + 1);
        foreach (var (name, p) in model)
        {
            if (name == "enc.b" && step % 4 == 0)
            {
                p.ReleaseGrad();
                continue;
            }
            rng.FillNormal(p.EnsureGrad().Span, 0, 1);
        }
    }

    private static void Run(Optimizer optimizer, NamedParameter[] model, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            SetGradients(model, step);
            optimizer.Step();
        }
    }

    private static int[] Bits(NamedParameter[] model) =>
        [.. model.SelectMany(p => p.Parameter.Value.Span.ToArray()).Select(BitConverter.SingleToInt32Bits)];

    [Theory]
    [MemberData(nameof(OptimizerFactories.Names), MemberType = typeof(OptimizerFactories))]
    public void SaveLoadThenStep_EqualsUninterruptedStepping_BitForBit(string name)
    {
        var model = Model();
        var optimizer = OptimizerFactories.Create(name, model);
        Run(optimizer, model, 0, 3);
        optimizer.LearningRate *= 0.5f;
        OptimizerState saved = optimizer.SaveState();
        float[] weight = model[0].Parameter.Value.Span.ToArray(), bias = model[1].Parameter.Value.Span.ToArray();
        Run(optimizer, model, 3, 7);

        var resumedModel = Model(weight, bias);
        var resumed = OptimizerFactories.Create(name, resumedModel);
        resumed.LoadState(saved);
        Assert.Equal(3, resumed.StepCount);
        Assert.Equal(optimizer.LearningRate, resumed.LearningRate);
        Run(resumed, resumedModel, 3, 7);

        Assert.Equal(Bits(model), Bits(resumedModel));
        Assert.Equal(7, resumed.StepCount);
    }

    [Fact]
    public void SaveState_UsesPyTorchKeysAndPerParameterStepCounts()
    {
        var model = Model();
        var adam = new Adam(model, new AdamOptions(Amsgrad: true));
        Run(adam, model, 0, 3);
        var state = adam.SaveState();

        Assert.Equal("Adam", state.Kind);
        Assert.Equal(3, state.StepCount);
        Assert.Equal(["exp_avg.enc.b", "exp_avg.enc.w", "exp_avg_sq.enc.b", "exp_avg_sq.enc.w", "max_exp_avg_sq.enc.b", "max_exp_avg_sq.enc.w", "step.enc.b", "step.enc.w"],
            state.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0, state.Tensors["step.enc.w"].Rank);
        Assert.Equal(3f, state.Tensors["step.enc.w"][0]);
        Assert.Equal(2f, state.Tensors["step.enc.b"][0]); // no gradient on step 0
        Assert.Equal("[2, 3]", state.Tensors["exp_avg.enc.w"].ShapeText);
    }

    [Fact]
    public void SaveState_IsACopy_NotAViewOfTheBuffers()
    {
        var model = Model();
        var adam = new Adam(model, new AdamOptions());
        Run(adam, model, 0, 1);
        var state = adam.SaveState();
        float before = state.Tensors["exp_avg.enc.w"][0];
        Run(adam, model, 1, 2);
        Assert.Equal(before, state.Tensors["exp_avg.enc.w"][0]);
    }

    [Fact]
    public void Step_ParameterWithoutGradient_IsSkippedAndHasNoState()
    {
        var model = Model();
        var adam = new Adam(model, new AdamOptions());
        float[] bias = model[1].Parameter.Value.Span.ToArray();
        SetGradients(model, 0); // no gradient for enc.b
        adam.Step();
        Assert.Equal(bias, model[1].Parameter.Value.Span.ToArray());
        Assert.DoesNotContain(adam.SaveState().Tensors.Keys, k => k.EndsWith(".enc.b", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadState_WrongShape_NamesKeyAndBothShapes()
    {
        var other = Model(biasLength: 4);
        var source = new Adam(other, new AdamOptions());
        Run(source, other, 1, 2);
        var target = new Adam(Model(), new AdamOptions());

        var e = Assert.Throws<RecurrentDataException>(() => target.LoadState(source.SaveState()));
        Assert.Contains("'exp_avg.enc.b'", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("expected [3]", e.Message);
    }

    [Fact]
    public void LoadState_UnknownKey_IsRejected()
    {
        var model = Model();
        var adam = new Adam(model, new AdamOptions());
        Run(adam, model, 1, 2);
        var state = adam.SaveState();
        var tensors = new Dictionary<string, Tensor>(state.Tensors) { ["exp_avg.dec.w"] = Tensor.Zeros(2, 3) };

        var e = Assert.Throws<RecurrentDataException>(() => adam.LoadState(state with { Tensors = tensors }));
        Assert.Contains("'exp_avg.dec.w'", e.Message);
    }

    [Fact]
    public void LoadState_OtherKind_IsRejected()
    {
        var model = Model();
        var state = new Sgd(model, new SgdOptions(Momentum: 0.9f)).SaveState();
        var e = Assert.Throws<RecurrentDataException>(() => new Adam(model, new AdamOptions()).LoadState(state));
        Assert.Contains("'Sgd'", e.Message);
        Assert.Contains("'Adam'", e.Message);
    }

    [Fact]
    public void LoadState_MissingBuffer_NamesItAndLeavesTheOptimizerUnchanged()
    {
        var model = Model();
        var plain = new Adam(model, new AdamOptions());
        Run(plain, model, 1, 2);
        var amsgrad = new Adam(model, new AdamOptions(Amsgrad: true));
        Run(amsgrad, model, 1, 3);
        var before = amsgrad.SaveState();

        var e = Assert.Throws<RecurrentDataException>(() => amsgrad.LoadState(plain.SaveState()));
        Assert.Contains("max_exp_avg_sq.enc.w", e.Message);

        var after = amsgrad.SaveState();
        Assert.Equal(before.StepCount, after.StepCount);
        Assert.Equal(before.Tensors.Keys.Order(), after.Tensors.Keys.Order());
        foreach (var (key, tensor) in before.Tensors) Assert.Equal(tensor.Span.ToArray(), after.Tensors[key].Span.ToArray());
    }

    [Fact]
    public void Constructor_DuplicateOrEmptyParameters_Throw()
    {
        var model = Model();
        Assert.Throws<ArgumentException>(() => new Sgd([model[0], model[0]], new SgdOptions()));
        Assert.Throws<ArgumentException>(() => new Sgd([], new SgdOptions()));
    }

    [Fact]
    public void ZeroGrad_ClearsEveryGradient()
    {
        var model = Model();
        var sgd = new Sgd(model, new SgdOptions());
        SetGradients(model, 1);
        sgd.ZeroGrad();
        Assert.All(model, p => Assert.All(p.Parameter.Grad!.Span.ToArray(), g => Assert.Equal(0f, g)));
    }
}
