// Every optimizer configuration the state and convergence tests run over, by name.
using Recurrent.Nn;
using Recurrent.Optim;

namespace Recurrent.Tests.Optim;

internal static class OptimizerFactories
{
    public static readonly TheoryData<string> Names =
        ["sgd", "sgd-nesterov", "adam", "adam-amsgrad", "adamw", "rmsprop", "rmsprop-centered-momentum", "adagrad"];

    public static Optimizer Create(string name, IReadOnlyList<NamedParameter> parameters) => name switch
    {
        "sgd" => new Sgd(parameters, new SgdOptions(LearningRate: 0.05f)),
        "sgd-nesterov" => new Sgd(parameters, new SgdOptions(LearningRate: 0.02f, Momentum: 0.9f, Nesterov: true, WeightDecay: 1e-3f)),
        "adam" => new Adam(parameters, new AdamOptions(LearningRate: 0.05f, WeightDecay: 1e-3f)),
        "adam-amsgrad" => new Adam(parameters, new AdamOptions(LearningRate: 0.05f, Amsgrad: true)),
        "adamw" => new AdamW(parameters, new AdamWOptions(LearningRate: 0.05f, WeightDecay: 1e-4f)),
        "rmsprop" => new RmsProp(parameters, new RmsPropOptions(LearningRate: 0.01f)),
        "rmsprop-centered-momentum" => new RmsProp(parameters, new RmsPropOptions(LearningRate: 0.005f, Momentum: 0.5f, Centered: true, WeightDecay: 1e-3f)),
        "adagrad" => new Adagrad(parameters, new AdagradOptions(LearningRate: 0.5f, LrDecay: 1e-3f, InitialAccumulatorValue: 0.1f)),
        _ => throw new ArgumentException($"unknown optimizer configuration '{name}'", nameof(name)),
    };
}
