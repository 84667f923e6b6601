namespace Recurrent.Training;

/// <summary>
/// Training stopped because it diverged (a NaN or infinite loss or gradient, or an exploding loss). The
/// message says at which step, why, and that the last good checkpoint was kept.
/// </summary>
public sealed class TrainingFailedException : Exception
{
    public TrainingFailedException(string message) : base(message) { }
}
