// What the training loop reports as it runs. The library reports; the CLI draws (progress bar on a
// terminal, plain lines otherwise) — the loop never writes to the console itself.
namespace Recurrent.Training;

/// <summary>A progress report after a training step.</summary>
/// <param name="Step">Optimizer steps done so far (1-based after the first step).</param>
/// <param name="TotalSteps">The step budget, or null when the budget is time or epochs.</param>
/// <param name="Epoch">Passes over the training data begun so far (1-based), fractional progress in <paramref name="EpochProgress"/>.</param>
/// <param name="EpochProgress">Fraction of the current epoch done, 0…1.</param>
/// <param name="ElapsedSeconds">Training time so far (excluding evaluation), including earlier runs when resumed.</param>
/// <param name="BudgetSeconds">The time budget, or null.</param>
/// <param name="Fraction">Fraction of the whole budget done, 0…1, whatever the budget's kind.</param>
/// <param name="TrainLoss">Smoothed training loss, nats per token.</param>
/// <param name="TokensPerSecond">Training throughput over the last reporting interval.</param>
/// <param name="GradientNorm">Global gradient norm before clipping, of the last step.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
public sealed record TrainingProgress(int Step, int? TotalSteps, int Epoch, double EpochProgress, double ElapsedSeconds,
    double? BudgetSeconds, double Fraction, double TrainLoss, double TokensPerSecond, double GradientNorm, double LearningRate);

/// <summary>A report after an evaluation on the validation data.</summary>
/// <param name="Step">The step after which the evaluation ran.</param>
/// <param name="Metrics">Named metrics, e.g. <c>loss</c>, <c>bpc</c>, <c>accuracy</c>.</param>
/// <param name="IsBest">Whether this is the best so far (and the model was saved as such).</param>
/// <param name="Sample">A short generated sample, for tasks that generate; else null.</param>
public sealed record EvaluationReport(int Step, IReadOnlyDictionary<string, double> Metrics, bool IsBest, string? Sample);

/// <summary>Receives the training loop's reports.</summary>
public interface ITrainingObserver
{
    /// <summary>After each step (the observer decides how often to draw).</summary>
    void OnStep(TrainingProgress progress);

    /// <summary>After each evaluation.</summary>
    void OnEvaluation(EvaluationReport report);

    /// <summary>A one-line message (resumed, early stop, checkpoint written, …).</summary>
    void OnMessage(string message);
}
