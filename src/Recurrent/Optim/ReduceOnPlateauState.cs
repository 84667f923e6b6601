namespace Recurrent.Optim;

/// <summary>The state of a <see cref="ReduceOnPlateau"/> schedule, for checkpoints.</summary>
/// <param name="Best">The best metric seen so far (±∞ before the first call).</param>
/// <param name="BadSteps">Calls in a row without a significant improvement (PyTorch's <c>num_bad_epochs</c>).</param>
/// <param name="CooldownCounter">Calls left in the cooldown after the last reduction.</param>
/// <param name="StepCount">Calls so far (PyTorch's <c>last_epoch</c>).</param>
public sealed record ReduceOnPlateauState(double Best, int BadSteps, int CooldownCounter, int StepCount);
