// Optimizer fixtures: one parameter [3, 4], four steps. Before each step a fixed random gradient is placed in
// .grad (through backward of Σ param·g, which yields g exactly), then torch.optim.X.step() runs.
// Stored: param.init, grad.stepK and param.stepK (the parameter after step K) for K = 0..3.
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Recurrent.Fixtures;

internal static class OptimizerFixtures
{
    private const int Steps = 4;

    /// <summary>Writes all optimizer fixtures; seeds are 2000, 2001, ... in file order.</summary>
    public static IEnumerable<string> WriteAll(string outputFolder)
    {
        var fixtures = new (string FileName, JsonObject Config, Func<Parameter, optim.Optimizer> Create)[]
        {
            ("optim_adam.json",
                new JsonObject { ["optimizer"] = "adam", ["lr"] = 0.01, ["beta1"] = 0.8, ["beta2"] = 0.95, ["eps"] = 1e-6, ["weight_decay"] = 0.1, ["amsgrad"] = false },
                p => optim.Adam([p], lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: 0.1, amsgrad: false)),
            ("optim_adamw.json",
                new JsonObject { ["optimizer"] = "adamw", ["lr"] = 0.01, ["beta1"] = 0.9, ["beta2"] = 0.999, ["eps"] = 1e-8, ["weight_decay"] = 0.05, ["amsgrad"] = false },
                p => optim.AdamW([p], lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.05, amsgrad: false)),
            ("optim_rmsprop.json",
                new JsonObject { ["optimizer"] = "rmsprop", ["lr"] = 0.01, ["alpha"] = 0.9, ["eps"] = 1e-8, ["weight_decay"] = 0.01, ["momentum"] = 0.5, ["centered"] = false },
                p => optim.RMSProp([p], lr: 0.01, alpha: 0.9, eps: 1e-8, weight_decay: 0.01, momentum: 0.5, centered: false)),
            ("optim_rmsprop_centered.json",
                new JsonObject { ["optimizer"] = "rmsprop", ["lr"] = 0.01, ["alpha"] = 0.9, ["eps"] = 1e-8, ["weight_decay"] = 0.01, ["momentum"] = 0.5, ["centered"] = true },
                p => optim.RMSProp([p], lr: 0.01, alpha: 0.9, eps: 1e-8, weight_decay: 0.01, momentum: 0.5, centered: true)),
            ("optim_sgd_nesterov.json",
                new JsonObject { ["optimizer"] = "sgd", ["lr"] = 0.1, ["momentum"] = 0.9, ["dampening"] = 0.0, ["weight_decay"] = 0.01, ["nesterov"] = true },
                p => optim.SGD([p], learningRate: 0.1, momentum: 0.9, dampening: 0, weight_decay: 0.01, nesterov: true)),
        };
        int seed = 2000;
        foreach (var (fileName, config, create) in fixtures)
        {
            config["steps"] = Steps;
            Write(Path.Combine(outputFolder, fileName), seed++, config, create);
            yield return fileName;
        }
    }

    private static void Write(string path, int seed, JsonObject config, Func<Parameter, optim.Optimizer> create)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        var param = new Parameter(randn([3, 4]), requires_grad: true);
        var grads = Enumerable.Range(0, Steps).Select(_ => randn([3, 4])).ToArray();
        var optimizer = create(param);
        var writer = new FixtureWriter(seed, config);
        writer.Add("param.init", param);
        for (int step = 0; step < Steps; step++)
        {
            optimizer.zero_grad();
            (param * grads[step]).sum().backward();
            if (!param.grad!.allclose(grads[step], rtol: 0, atol: 0))
                throw new InvalidOperationException($"Step {step}: the gradient in .grad differs from the one drawn; the fixture would be wrong.");
            optimizer.step();
            writer.Add($"grad.step{step}", grads[step]);
            writer.Add($"param.step{step}", param);
        }
        writer.Save(path);
    }
}
