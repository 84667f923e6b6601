// Live training display for an interactive terminal: Spectre.Console's progress renderer draws, on its own
// thread at most ten times a second, a description line above one bar for the whole budget
//   step 1200/5000 · loss 1.234 · 1.780 bpc · 12.3k tok/s · lr 2.0e-3
//   ━━━━━━━━━━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━  24% 1:02 eta 3:15
// Evaluations and messages are written through the same console, whose render hook prints them above the bar.
// The display stops (bar left in its last state, cursor shown again) on Dispose, Ctrl+C or process exit.
using Recurrent.Training;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Recurrent.Cli.Output;

internal sealed class LiveTrainingDisplay : ITrainingObserver, IDisposable
{
    private const double BarMax = 1000;
    private const int SampleIndent = 4;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly IAnsiConsole _console;
    private readonly TrainingDisplayOptions _options;
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _run;
    private readonly ProgressTask _bar;
    private readonly object _lock = new();
    private TrainingProgress? _latest;
    private TimeSpan? _lastDrawnAt;
    private bool _stopped;

    // Read by the render thread without the lock; each is replaced whole.
    private volatile string _description = "starting…";
    private volatile string _elapsed = "0:00";
    private volatile string _eta = "eta ?";

    public LiveTrainingDisplay(TrainingDisplayOptions options, IAnsiConsole console)
    {
        _options = options;
        _console = console;
        int barWidth = Math.Clamp(console.Profile.Width - 30, 10, 60);
        Progress progress = console.Progress();
        progress.AutoRefresh = true;
        progress.AutoClear = false;
        progress.HideCompleted = false;
        progress.RefreshRate = options.LiveInterval;
        progress.Columns(
            new ProgressBarColumn { Width = barWidth },
            new PercentageColumn(),
            new TextColumn(() => _elapsed, new Style(Color.Blue)),
            new TextColumn(() => _eta, new Style(Color.Grey)));
        progress.UseRenderHook((bar, _) => new Rows(new Text(_description), bar));

        var started = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
        _run = Task.Run(() => progress.StartAsync(async context =>
        {
            started.SetResult(context.AddTask("train", autoStart: true, maxValue: BarMax));
            await _stopRequested.Task.ConfigureAwait(false);
        }));
        Task.WhenAny(started.Task, _run).GetAwaiter().GetResult();
        if (!started.Task.IsCompleted) _run.GetAwaiter().GetResult();
        _bar = started.Task.Result;

        Console.CancelKeyPress += OnCancelKeyPress;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public void OnStep(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        lock (_lock)
        {
            if (_stopped) return;
            _latest = progress;
            TimeSpan now = _options.Clock();
            if (_lastDrawnAt is TimeSpan last && now - last < _options.LiveInterval) return;
            Show(progress);
            _lastDrawnAt = now;
        }
    }

    public void OnEvaluation(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var rows = new List<IRenderable> { new Text(TrainingText.EvaluationLine(report), report.IsBest ? new Style(Color.Green) : Style.Plain) };
        if (report.Sample is string sample)
        {
            // The padder keeps the indent on lines the terminal wraps.
            var lines = TrainingText.SampleLines(sample, _options.SampleMaxLength);
            var text = new Text(string.Join('\n', lines), new Style(Color.Grey, decoration: Decoration.Italic));
            rows.Add(new Padder(text, new Padding(SampleIndent, 0, 0, 0)));
        }
        lock (_lock) _console.Write(new LinesAbove(new Rows(rows)));
    }

    public void OnMessage(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_lock) _console.Write(new LinesAbove(new Text(Formatting.Visible(message))));
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        Stop();
        if (_run.IsFaulted) Console.Error.WriteLine($"rnn: the progress display failed: {_run.Exception?.GetBaseException().Message}");
    }

    // Leaves the bar showing the last report, lets the renderer finish its last frame and restore the cursor.
    private void Stop()
    {
        lock (_lock)
        {
            if (_stopped) return;
            _stopped = true;
            if (_latest is not null) Show(_latest);
        }
        _stopRequested.TrySetResult();
        Task.WhenAny(_run, Task.Delay(StopTimeout)).GetAwaiter().GetResult();
    }

    private void Show(TrainingProgress progress)
    {
        _description = TrainingText.LiveDescription(progress, _options.TaskFigures(progress));
        _elapsed = Formatting.Duration(progress.ElapsedSeconds);
        _eta = "eta " + (TrainingText.EtaSeconds(progress) is double eta ? Formatting.Duration(eta) : "?");
        _bar.Value = Math.Clamp(double.IsNaN(progress.Fraction) ? 0 : progress.Fraction, 0, 1) * BarMax;
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e) => Stop();

    private void OnProcessExit(object? sender, EventArgs e) => Stop();

    /// <summary>
    /// Content printed above the bar as whole lines. The render hook moves the cursor to the top of the live area
    /// before printing but leaves the old frame there, so this erases from the cursor to the end of the screen
    /// first; otherwise a line shorter than the frame line it lands on would keep that line's tail.
    /// </summary>
    private sealed class LinesAbove(IRenderable content) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => content.Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            if (options.Ansi) yield return Segment.Control("\u001b[J");
            foreach (var segment in content.Render(options, maxWidth)) yield return segment;
            yield return Segment.LineBreak;
        }
    }

    /// <summary>A column showing text that changes between frames.</summary>
    private sealed class TextColumn(Func<string> text, Style style) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) => new Text(text(), style);
    }
}
