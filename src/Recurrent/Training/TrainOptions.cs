// Options of the training loop, shared by every task. Immutable, validated on construction.
namespace Recurrent.Training;

/// <summary>The optimizer to train with.</summary>
public enum OptimizerKind { Adam, AdamW, Sgd, RmsProp, Adagrad }

/// <summary>How the learning rate moves over the run.</summary>
public enum ScheduleKind
{
    /// <summary>Constant after an optional linear warm-up.</summary>
    Constant,
    /// <summary>Linear warm-up then cosine decay to 5 % of the base rate at the end of the budget (steps or time).</summary>
    Cosine,
    /// <summary>Halve the rate whenever validation stops improving for two evaluations.</summary>
    Plateau,
}

/// <summary>Training-loop settings.</summary>
public sealed record TrainOptions
{
    /// <summary>Creates options; exactly one budget (steps, epochs or minutes) must be set.</summary>
    /// <exception cref="ArgumentException">A value is out of range or the budget is not exactly one kind.</exception>
    public TrainOptions(int? steps = null, int? epochs = null, double? minutes = null, float learningRate = 2e-3f,
        OptimizerKind optimizer = OptimizerKind.Adam, float weightDecay = 0f, float clip = 5f, ScheduleKind schedule = ScheduleKind.Cosine,
        int warmupSteps = 0, int evalEvery = 200, int logEvery = 10, int patience = 0, ulong seed = 1)
    {
        int budgets = (steps is null ? 0 : 1) + (epochs is null ? 0 : 1) + (minutes is null ? 0 : 1);
        if (budgets != 1) throw new ArgumentException("Give exactly one training budget: --steps, --epochs or --minutes.");
        if (steps is < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "--steps must be ≥ 1.");
        if (epochs is < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "--epochs must be ≥ 1.");
        if (minutes is double m && !(m > 0 && m <= 60 * 24 * 30)) throw new ArgumentOutOfRangeException(nameof(minutes), minutes, "--minutes must be > 0 (and at most 30 days).");
        if (!(learningRate > 0 && float.IsFinite(learningRate))) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "--lr must be a positive number.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "--weight-decay must be ≥ 0.");
        if (!(clip >= 0)) throw new ArgumentOutOfRangeException(nameof(clip), clip, "--clip must be ≥ 0 (0 turns clipping off).");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "--warmup must be ≥ 0.");
        if (evalEvery < 1) throw new ArgumentOutOfRangeException(nameof(evalEvery), evalEvery, "--eval-every must be ≥ 1.");
        if (logEvery < 1) throw new ArgumentOutOfRangeException(nameof(logEvery), logEvery, "--log-every must be ≥ 1.");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "--patience must be ≥ 0 (0 turns early stopping off).");
        (Steps, Epochs, Minutes, LearningRate, Optimizer, WeightDecay, Clip, Schedule, WarmupSteps, EvalEvery, LogEvery, Patience, Seed) =
            (steps, epochs, minutes, learningRate, optimizer, weightDecay, clip, schedule, warmupSteps, evalEvery, logEvery, patience, seed);
    }

    /// <summary>Stop after this many optimizer steps.</summary>
    public int? Steps { get; }

    /// <summary>Stop after this many passes over the training data.</summary>
    public int? Epochs { get; }

    /// <summary>Stop after this much training time (evaluation excluded).</summary>
    public double? Minutes { get; }

    public float LearningRate { get; }
    public OptimizerKind Optimizer { get; }
    public float WeightDecay { get; }

    /// <summary>Clip gradients to this global L2 norm; 0 turns clipping off.</summary>
    public float Clip { get; }

    public ScheduleKind Schedule { get; }
    public int WarmupSteps { get; }

    /// <summary>Evaluate (and checkpoint) every this many steps, and at the end.</summary>
    public int EvalEvery { get; }

    /// <summary>Write a training-loss line to metrics.jsonl every this many steps.</summary>
    public int LogEvery { get; }

    /// <summary>Stop after this many evaluations without improvement; 0 = never.</summary>
    public int Patience { get; }

    /// <summary>Seed of every random draw of the run (initialisation, dropout, shuffles).</summary>
    public ulong Seed { get; }
}
