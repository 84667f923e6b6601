// Our optimizers against torch.optim: the same initial parameter and gradient sequence as the fixture
// (written by tools/Recurrent.Fixtures); parameters after every step compared at ~1e-5 relative.
using System.Text.Json;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Oracle;

public sealed class OptimizerOracleTests
{
    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (string f in OracleFixture.AllOptimizerFixtures()) data.Add(f);
        return data;
    }

    private static float F(JsonElement config, string name) => (float)config.GetProperty(name).GetDouble();

    private static Optimizer Create(JsonElement c, IReadOnlyList<NamedParameter> parameters) => c.GetProperty("optimizer").GetString() switch
    {
        "adam" => new Adam(parameters, new AdamOptions(F(c, "lr"), F(c, "beta1"), F(c, "beta2"), F(c, "eps"), F(c, "weight_decay"), c.GetProperty("amsgrad").GetBoolean())),
        "adamw" => new AdamW(parameters, new AdamWOptions(F(c, "lr"), F(c, "beta1"), F(c, "beta2"), F(c, "eps"), F(c, "weight_decay"), c.GetProperty("amsgrad").GetBoolean())),
        "rmsprop" => new RmsProp(parameters, new RmsPropOptions(F(c, "lr"), F(c, "alpha"), F(c, "eps"), F(c, "weight_decay"), F(c, "momentum"), c.GetProperty("centered").GetBoolean())),
        "sgd" => new Sgd(parameters, new SgdOptions(F(c, "lr"), F(c, "momentum"), F(c, "dampening"), c.GetProperty("nesterov").GetBoolean(), F(c, "weight_decay"))),
        var other => throw new InvalidDataException($"unknown optimizer {other}"),
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Optimizer_Steps_MatchTorchOptim(string fileName)
    {
        OracleFixture f = OracleFixture.Load(fileName);
        var parameter = new Parameter(Tensor.FromArray(f.Data("param.init"), f.Shape("param.init")));
        Optimizer optimizer = Create(f.Config, [new NamedParameter("weight", parameter)]);
        int steps = f.Config.GetProperty("steps").GetInt32();
        for (int s = 0; s < steps; s++)
        {
            f.Data($"grad.step{s}").CopyTo(parameter.EnsureGrad().Span);
            optimizer.Step();
            TestData.AssertClose(f.Data($"param.step{s}"), parameter.Value.Span, 1e-6, 1e-5, $"{fileName} step {s}:");
        }
    }
}
