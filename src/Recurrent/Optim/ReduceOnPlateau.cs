// Reduce the learning rate when a metric stops improving, as torch.optim.lr_scheduler.ReduceLROnPlateau
// (one parameter group). The caller passes the metric and the current learning rate and applies the
// returned one, so the schedule holds only its small counting state.
namespace Recurrent.Optim;

/// <summary>Multiplies the learning rate by a factor after the metric has not improved for a while.</summary>
/// <remarks>
/// Each call to <see cref="Step"/> (mode Min, relative threshold; Max and absolute mirror it):
/// <code>
/// if metric &lt; best · (1 − threshold):  best ← metric; bad ← 0     else bad ← bad + 1
/// if cooldown &gt; 0:                    cooldown ← cooldown − 1; bad ← 0
/// if bad &gt; patience:
///     lr' ← max(lr · factor, minLr);  lr ← lr' if lr − lr' &gt; eps
///     cooldown ← cooldownSteps; bad ← 0
/// </code>
/// A NaN metric never counts as an improvement.
/// </remarks>
public sealed class ReduceOnPlateau
{
    private double _best;
    private int _badSteps, _cooldownCounter, _stepCount;

    /// <summary>Creates the schedule (PyTorch's defaults).</summary>
    /// <param name="mode">Whether smaller or larger is better. Default <see cref="PlateauMode.Min"/>.</param>
    /// <param name="factor">Multiplier applied at a reduction, in [0, 1). Default 0.1.</param>
    /// <param name="patience">Calls without improvement tolerated before reducing (≥ 0). Default 10.</param>
    /// <param name="threshold">Minimum significant change (≥ 0). Default 1e-4.</param>
    /// <param name="thresholdMode">Relative or absolute threshold. Default <see cref="PlateauThresholdMode.Relative"/>.</param>
    /// <param name="cooldown">Calls after a reduction during which bad calls are not counted (≥ 0). Default 0.</param>
    /// <param name="minLr">Lower bound on the learning rate (≥ 0). Default 0.</param>
    /// <param name="eps">Smallest change applied; smaller reductions are ignored (≥ 0). Default 1e-8.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public ReduceOnPlateau(PlateauMode mode = PlateauMode.Min, float factor = 0.1f, int patience = 10, float threshold = 1e-4f,
        PlateauThresholdMode thresholdMode = PlateauThresholdMode.Relative, int cooldown = 0, float minLr = 0, float eps = 1e-8f)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "ReduceOnPlateau.mode must be Min or Max.");
        if (!Enum.IsDefined(thresholdMode)) throw new ArgumentOutOfRangeException(nameof(thresholdMode), thresholdMode, "ReduceOnPlateau.thresholdMode must be Relative or Absolute.");
        Mode = mode;
        Factor = OptionChecks.UnitInterval(factor, nameof(ReduceOnPlateau), nameof(factor));
        Patience = OptionChecks.NonNegative(patience, nameof(ReduceOnPlateau), nameof(patience));
        Threshold = OptionChecks.NonNegative(threshold, nameof(ReduceOnPlateau), nameof(threshold));
        ThresholdMode = thresholdMode;
        Cooldown = OptionChecks.NonNegative(cooldown, nameof(ReduceOnPlateau), nameof(cooldown));
        MinLr = OptionChecks.NonNegative(minLr, nameof(ReduceOnPlateau), nameof(minLr));
        Eps = OptionChecks.NonNegative(eps, nameof(ReduceOnPlateau), nameof(eps));
        _best = WorstValue;
    }

    /// <summary>Whether smaller or larger is better.</summary>
    public PlateauMode Mode { get; }

    /// <summary>Multiplier applied at a reduction.</summary>
    public float Factor { get; }

    /// <summary>Calls without improvement tolerated before reducing.</summary>
    public int Patience { get; }

    /// <summary>Minimum significant change.</summary>
    public float Threshold { get; }

    /// <summary>Relative or absolute threshold.</summary>
    public PlateauThresholdMode ThresholdMode { get; }

    /// <summary>Calls after a reduction during which bad calls are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>Lower bound on the learning rate.</summary>
    public float MinLr { get; }

    /// <summary>Smallest change applied.</summary>
    public float Eps { get; }

    /// <summary>The best metric seen so far.</summary>
    public double Best => _best;

    /// <summary>Records <paramref name="metric"/> and returns the learning rate to use next.</summary>
    /// <param name="metric">The monitored value, e.g. the validation loss.</param>
    /// <param name="currentLr">The learning rate in use.</param>
    /// <returns><paramref name="currentLr"/>, or the reduced rate when the metric has plateaued.</returns>
    public float Step(float metric, float currentLr)
    {
        _stepCount++;
        if (IsBetter(metric))
        {
            _best = metric;
            _badSteps = 0;
        }
        else
        {
            _badSteps++;
        }
        if (_cooldownCounter > 0)
        {
            _cooldownCounter--;
            _badSteps = 0;
        }
        if (_badSteps <= Patience) return currentLr;

        _cooldownCounter = Cooldown;
        _badSteps = 0;
        double reduced = Math.Max((double)currentLr * Factor, MinLr);
        return currentLr - reduced > Eps ? (float)reduced : currentLr;
    }

    /// <summary>A copy of the counting state.</summary>
    public ReduceOnPlateauState Save() => new(_best, _badSteps, _cooldownCounter, _stepCount);

    /// <summary>Restores a state from <see cref="Save"/>.</summary>
    /// <exception cref="RecurrentDataException">A counter is negative or the best value is NaN.</exception>
    public void Load(ReduceOnPlateauState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (double.IsNaN(state.Best) || state.BadSteps < 0 || state.CooldownCounter < 0 || state.StepCount < 0)
            throw new RecurrentDataException($"ReduceOnPlateau.Load: expected a non-NaN best and counters ≥ 0; got best {state.Best}, bad steps {state.BadSteps}, cooldown {state.CooldownCounter}, step count {state.StepCount}. The state is corrupt.");
        (_best, _badSteps, _cooldownCounter, _stepCount) = (state.Best, state.BadSteps, state.CooldownCounter, state.StepCount);
    }

    private double WorstValue => Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, PlateauThresholdMode.Relative) => metric < _best * (1 - (double)Threshold),
        (PlateauMode.Min, PlateauThresholdMode.Absolute) => metric < _best - Threshold,
        (PlateauMode.Max, PlateauThresholdMode.Relative) => metric > _best * (1 + (double)Threshold),
        _ => metric > _best + Threshold,
    };
}
