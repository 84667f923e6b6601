namespace Recurrent.Optim;

/// <summary>Whether a smaller or a larger metric counts as an improvement in <see cref="ReduceOnPlateau"/>.</summary>
public enum PlateauMode
{
    /// <summary>Smaller is better (a loss).</summary>
    Min,

    /// <summary>Larger is better (an accuracy).</summary>
    Max,
}
