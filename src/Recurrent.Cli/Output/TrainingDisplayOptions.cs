// What the training display shows beyond the common figures (step, loss, tokens/s, learning rate), and how often.
// The task-specific part is a function so each task chooses its own figures: a character language model adds
// bits per character, classification can add accuracy once the progress reports carry it.
using System.Diagnostics;
using Recurrent.Training;

namespace Recurrent.Cli.Output;

/// <summary>One named figure of a progress line, already formatted: ("bpc", "1.780").</summary>
/// <param name="Name">Short label, e.g. <c>bpc</c>.</param>
/// <param name="Value">The formatted value.</param>
public readonly record struct DisplayFigure(string Name, string Value);

/// <summary>Options of <see cref="ConsoleTrainingObserver"/>. Immutable; validates itself.</summary>
public sealed record TrainingDisplayOptions
{
    /// <summary>No task-specific figures.</summary>
    public static readonly Func<TrainingProgress, IReadOnlyList<DisplayFigure>> NoFigures = _ => [];

    /// <summary>Bits per token, <c>bpc = loss / ln 2</c>, as language models over characters report it.</summary>
    public static readonly Func<TrainingProgress, IReadOnlyList<DisplayFigure>> BitsPerTokenFigures =
        progress => [new DisplayFigure("bpc", Formatting.Fixed(progress.TrainLoss / Math.Log(2)))];

    /// <summary>The task-specific figures shown after the loss, computed from each progress report.
    /// Default: <see cref="NoFigures"/>.</summary>
    public Func<TrainingProgress, IReadOnlyList<DisplayFigure>> TaskFigures { get; init; } = NoFigures;

    /// <summary>Least time between two progress lines in plain mode (pipes, CI). Default 10 s; must be ≥ 0.</summary>
    public TimeSpan PlainInterval
    {
        get => _plainInterval;
        init
        {
            if (value < TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(PlainInterval), value,
                    "TrainingDisplayOptions: PlainInterval must be zero or positive; pass e.g. TimeSpan.FromSeconds(10).");
            }
            _plainInterval = value;
        }
    }

    /// <summary>Least time between two redraws of the live bar. Default 100 ms (at most ~10 redraws a second); must be &gt; 0.</summary>
    public TimeSpan LiveInterval
    {
        get => _liveInterval;
        init
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(nameof(LiveInterval), value,
                    "TrainingDisplayOptions: LiveInterval must be positive; pass e.g. TimeSpan.FromMilliseconds(100).");
            }
            _liveInterval = value;
        }
    }

    /// <summary>Longest generated sample shown, in characters, before it is cut with "…". Default 200; must be ≥ 1.</summary>
    public int SampleMaxLength
    {
        get => _sampleMaxLength;
        init
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(SampleMaxLength), value,
                    "TrainingDisplayOptions: SampleMaxLength must be at least 1; pass e.g. 200.");
            }
            _sampleMaxLength = value;
        }
    }

    /// <summary>The time source for throttling; tests inject their own. Default: a stopwatch started with the options.</summary>
    public Func<TimeSpan> Clock { get; init; } = StartStopwatch();

    private readonly TimeSpan _plainInterval = TimeSpan.FromSeconds(10);
    private readonly TimeSpan _liveInterval = TimeSpan.FromMilliseconds(100);
    private readonly int _sampleMaxLength = 200;

    /// <summary>Default options; <paramref name="bitsPerToken"/> adds bpc to the progress figures (language models over characters).</summary>
    public static TrainingDisplayOptions Default(bool bitsPerToken = false) =>
        new() { TaskFigures = bitsPerToken ? BitsPerTokenFigures : NoFigures };

    private static Func<TimeSpan> StartStopwatch()
    {
        var watch = Stopwatch.StartNew();
        return () => watch.Elapsed;
    }
}
