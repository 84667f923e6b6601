// The training display of every `rnn <task> train`: a live progress bar on an interactive terminal, plain lines
// everywhere else (pipes, files, CI). The library reports through ITrainingObserver; this class only draws.
using Recurrent.Training;
using Spectre.Console;

namespace Recurrent.Cli.Output;

/// <summary>How <see cref="ConsoleTrainingObserver"/> draws.</summary>
public enum TrainingDisplayMode
{
    /// <summary>Live when the output is the process's own standard output, that is a terminal, and the variable CI is
    /// unset; plain otherwise.</summary>
    Auto,

    /// <summary>A Spectre.Console progress bar redrawn in place, with evaluations and messages printed above it.</summary>
    Live,

    /// <summary>Plain lines: one progress line per <see cref="TrainingDisplayOptions.PlainInterval"/>, every
    /// evaluation and message.</summary>
    Plain,
}

/// <summary>Draws training progress on the console. Dispose it when training ends (also on failure) to stop the
/// live display and restore the cursor; Ctrl+C and process exit stop it too.</summary>
public sealed class ConsoleTrainingObserver : ITrainingObserver, IDisposable
{
    private readonly ITrainingObserver _display;
    private readonly IDisposable _lifetime;

    /// <summary>Draws on the process's standard output, live on a terminal and plain otherwise.</summary>
    /// <param name="bitsPerToken">Show bits per token (<c>bpc = loss / ln 2</c>) beside the loss, as language models over characters do.</param>
    public ConsoleTrainingObserver(bool bitsPerToken)
        : this(TrainingDisplayOptions.Default(bitsPerToken), Console.Out)
    {
    }

    /// <summary>Draws on <paramref name="output"/>.</summary>
    /// <param name="options">What to show and how often.</param>
    /// <param name="output">Where to write; with <see cref="TrainingDisplayMode.Auto"/> only <see cref="Console.Out"/>
    /// on a terminal gets the live display.</param>
    /// <param name="mode">Live, plain, or chosen from the environment (default).</param>
    /// <exception cref="ArgumentException"><paramref name="mode"/> is not a defined value.</exception>
    public ConsoleTrainingObserver(TrainingDisplayOptions options, TextWriter output, TrainingDisplayMode mode = TrainingDisplayMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        bool live = mode switch
        {
            TrainingDisplayMode.Auto => ReferenceEquals(output, Console.Out) && IsInteractiveTerminal(),
            TrainingDisplayMode.Live => true,
            TrainingDisplayMode.Plain => false,
            _ => throw new ArgumentException($"ConsoleTrainingObserver: unknown display mode {(int)mode}; use Auto, Live or Plain.", nameof(mode)),
        };
        if (live)
        {
            var display = new LiveTrainingDisplay(options, CreateConsole(output));
            (_display, _lifetime) = (display, display);
        }
        else
        {
            var writer = new PlainTrainingWriter(options, output);
            (_display, _lifetime) = (writer, writer);
        }
        IsLive = live;
    }

    /// <summary>Whether the live progress bar is in use (else plain lines).</summary>
    public bool IsLive { get; }

    /// <summary>Whether standard output is an interactive terminal and not a CI run: not redirected, CI unset, TERM not "dumb".</summary>
    public static bool IsInteractiveTerminal() =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
        && Environment.GetEnvironmentVariable("TERM") != "dumb";

    /// <inheritdoc/>
    public void OnStep(TrainingProgress progress) => _display.OnStep(progress);

    /// <inheritdoc/>
    public void OnEvaluation(EvaluationReport report) => _display.OnEvaluation(report);

    /// <inheritdoc/>
    public void OnMessage(string message) => _display.OnMessage(message);

    /// <summary>Stops the live display (bar left in its final state, cursor shown) or writes the last held-back
    /// progress line in plain mode. Safe to call more than once.</summary>
    public void Dispose() => _lifetime.Dispose();

    private static IAnsiConsole CreateConsole(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(output),
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Detect,
    });
}
