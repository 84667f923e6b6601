// The training step every experiment shares, and its progress reports. The step reads as the Trainer's:
// batch → forward → loss → zero grad → backward → clip (the norm before clipping is kept) → step. Experiments
// run many short trainings one after another, so progress counts steps over all of them together and is
// reported through the trainer's observer interface (the CLI draws it the same way as a training run).
using System.Diagnostics;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Experiments;

/// <summary>Loss and gradient norm of one training step.</summary>
/// <param name="Loss">The loss before the update.</param>
/// <param name="GradientNorm">The global gradient norm before clipping.</param>
public readonly record struct StepResult(double Loss, double GradientNorm);

/// <summary>One optimizer step on a <see cref="ProbeNetwork"/>, and progress over a whole experiment.</summary>
public sealed class ExperimentLoop
{
    private readonly ITrainingObserver? _observer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _tokens;
    private double _lastReportSeconds;
    private long _lastReportTokens;
    private double _tokensPerSecond;
    private double _lastLoss = double.NaN, _lastNorm = double.NaN, _lastRate;

    /// <summary>Counts <paramref name="totalSteps"/> steps over the whole experiment; reports to <paramref name="observer"/> when given.</summary>
    public ExperimentLoop(int totalSteps, ITrainingObserver? observer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        (TotalSteps, _observer) = (totalSteps, observer);
    }

    /// <summary>Steps planned over the experiment.</summary>
    public int TotalSteps { get; }

    /// <summary>Steps done so far.</summary>
    public int StepsDone { get; private set; }

    /// <summary>
    /// One step: the loss of <paramref name="batch"/>, backward, clipping to <paramref name="clip"/> (0 or less:
    /// none, the norm is still measured), then the optimizer's update.
    /// </summary>
    public StepResult Step(ProbeNetwork network, Optimizer optimizer, IReadOnlyList<Parameter> parameters, SyntheticBatch batch, float clip)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        using var tape = new Tape();
        Variable loss = network.Loss(tape, batch);
        optimizer.ZeroGrad();
        tape.Backward(loss);
        float norm = GradientClipping.ClipByGlobalNorm(parameters, clip > 0 ? clip : float.MaxValue);
        double value = loss.Value.Span[0];
        if (double.IsFinite(norm)) optimizer.Step(); // a NaN/Inf gradient would poison every weight; the caller sees it
        tape.Reset();
        Advance(value, norm, optimizer.LearningRate, batch.Inputs.Dim(0) * batch.Inputs.Dim(1));
        return new StepResult(value, norm);
    }

    /// <summary>Counts steps done outside <see cref="Step"/> (e.g. a diverged run skipped) so the bar stays honest.</summary>
    public void Skip(int steps)
    {
        StepsDone = Math.Min(TotalSteps, StepsDone + steps);
        Report(_lastLoss, _lastNorm, _lastRate);
    }

    /// <summary>A one-line message for the display.</summary>
    public void Message(string text) => _observer?.OnMessage(text);

    private void Advance(double loss, double norm, double learningRate, int tokens)
    {
        StepsDone = Math.Min(TotalSteps, StepsDone + 1);
        _tokens += tokens;
        (_lastLoss, _lastNorm, _lastRate) = (loss, norm, learningRate);
        Report(loss, norm, learningRate);
    }

    private void Report(double loss, double norm, double learningRate)
    {
        if (_observer is null) return;
        double now = _clock.Elapsed.TotalSeconds;
        if (now - _lastReportSeconds >= 1)
        {
            _tokensPerSecond = (_tokens - _lastReportTokens) / (now - _lastReportSeconds);
            (_lastReportSeconds, _lastReportTokens) = (now, _tokens);
        }
        else if (_lastReportSeconds == 0 && now > 0) _tokensPerSecond = _tokens / now; // the first second: the average so far
        double fraction = (double)StepsDone / TotalSteps;
        _observer.OnStep(new TrainingProgress(StepsDone, TotalSteps, 1, fraction, now, null, fraction, loss, _tokensPerSecond, norm, learningRate));
    }

    /// <summary>Adam over the network's parameters, the optimizer of the long-range and gradient-flow runs.</summary>
    public static Optimizer Adam(ProbeNetwork network, float learningRate) => new Adam(network.NamedParameters(), new AdamOptions(learningRate));

    /// <summary>Seeds a network: the same <paramref name="seed"/> gives the same weights for a cell and task.</summary>
    public static Rng WeightsRng(ulong seed) => new(seed * 0x9E3779B97F4A7C15UL + 1);
}
