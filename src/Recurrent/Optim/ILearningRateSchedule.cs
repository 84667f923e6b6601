// A learning-rate schedule: a pure function of the step number, so resuming a run needs only the step.
namespace Recurrent.Optim;

/// <summary>A learning rate as a function of the step number.</summary>
/// <remarks>Set <see cref="Optimizer.LearningRate"/> to <c>LearningRateAt(optimizer.StepCount)</c> before each step.</remarks>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/> (0 for the first step).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative.</exception>
    float LearningRateAt(int step);
}
