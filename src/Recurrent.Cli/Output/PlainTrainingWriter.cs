// Plain-line training display for pipes, log files and CI: no cursor movement, no colour, at most one progress
// line per interval, and every evaluation and message as it comes.
using Recurrent.Training;

namespace Recurrent.Cli.Output;

internal sealed class PlainTrainingWriter(TrainingDisplayOptions options, TextWriter output) : ITrainingObserver, IDisposable
{
    private const string SampleIndent = "    ";

    private readonly object _lock = new();
    private TimeSpan? _lastLineAt;
    private TrainingProgress? _unwritten;
    private bool _disposed;

    public void OnStep(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        lock (_lock)
        {
            if (_disposed) return;
            TimeSpan now = options.Clock();
            if (_lastLineAt is TimeSpan last && now - last < options.PlainInterval)
            {
                _unwritten = progress;
                return;
            }
            WriteProgress(progress, now);
        }
    }

    public void OnEvaluation(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            output.WriteLine(TrainingText.EvaluationLine(report));
            if (report.Sample is string sample)
            {
                foreach (string line in TrainingText.SampleLines(sample, options.SampleMaxLength)) output.WriteLine(SampleIndent + line);
            }
            output.Flush();
        }
    }

    public void OnMessage(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_lock)
        {
            output.WriteLine(message);
            output.Flush();
        }
    }

    /// <summary>Writes the last progress report if the interval held it back, so the log ends on the final step.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_unwritten is not null) WriteProgress(_unwritten, options.Clock());
        }
    }

    private void WriteProgress(TrainingProgress progress, TimeSpan now)
    {
        output.WriteLine(TrainingText.PlainLine(progress, options.TaskFigures(progress)));
        output.Flush();
        _lastLineAt = now;
        _unwritten = null;
    }
}
