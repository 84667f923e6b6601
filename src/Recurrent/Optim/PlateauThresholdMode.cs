namespace Recurrent.Optim;

/// <summary>How <see cref="ReduceOnPlateau"/> measures a significant improvement.</summary>
public enum PlateauThresholdMode
{
    /// <summary>Better than best · (1 ∓ threshold) (PyTorch's <c>rel</c>).</summary>
    Relative,

    /// <summary>Better than best ∓ threshold (PyTorch's <c>abs</c>).</summary>
    Absolute,
}
