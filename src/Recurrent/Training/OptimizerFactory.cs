// Builds the optimizer and the learning-rate rule a TrainOptions asks for.
using Recurrent.Nn;
using Recurrent.Optim;

namespace Recurrent.Training;

internal static class OptimizerFactory
{
    public static Optimizer Create(TrainOptions o, IReadOnlyList<NamedParameter> parameters) => o.Optimizer switch
    {
        OptimizerKind.Adam => new Adam(parameters, new AdamOptions(o.LearningRate, WeightDecay: o.WeightDecay)),
        OptimizerKind.AdamW => new AdamW(parameters, new AdamWOptions(o.LearningRate, WeightDecay: o.WeightDecay)),
        OptimizerKind.Sgd => new Sgd(parameters, new SgdOptions(o.LearningRate, Momentum: 0.9f, WeightDecay: o.WeightDecay)),
        OptimizerKind.RmsProp => new RmsProp(parameters, new RmsPropOptions(o.LearningRate, WeightDecay: o.WeightDecay)),
        OptimizerKind.Adagrad => new Adagrad(parameters, new AdagradOptions(o.LearningRate, WeightDecay: o.WeightDecay)),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Optimizer, "Unknown optimizer."),
    };

    /// <summary>
    /// The scheduled rate at a step, given the fraction of the budget done: linear warm-up over the first
    /// steps, then constant or cosine decay to 5 % of the base at the end of the budget.
    /// </summary>
    public static float ScheduledRate(TrainOptions o, int step, double fraction)
    {
        float baseLr = o.LearningRate;
        if (step < o.WarmupSteps) return baseLr * (step + 1) / o.WarmupSteps;
        if (o.Schedule != ScheduleKind.Cosine) return baseLr;
        double min = 0.05 * baseLr;
        return (float)(min + (baseLr - min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(fraction, 0, 1))));
    }
}
