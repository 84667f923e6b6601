// Progress of one long non-training job (e.g. dynamic evaluation) on standard error: a line redrawn in place
// on a terminal, a plain line every 10% otherwise (CI, pipes), so standard output stays clean for results.
using System.Diagnostics;

namespace Recurrent.Cli.Output;

/// <summary>Reports a fraction done, with the elapsed time and an estimate of what remains.</summary>
internal sealed class FractionProgress(string label, TextWriter error, bool terminal)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _lastTenth = -1;
    private long _lastDrawMs = -1000;

    /// <summary>For the CLI's standard error: redraws in place when it is a terminal.</summary>
    public static FractionProgress ForConsole(string label, TextWriter error) =>
        new(label, error, terminal: ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);

    public void Report(double fraction)
    {
        double elapsed = _clock.Elapsed.TotalSeconds;
        string eta = fraction > 0 ? Formatting.Duration(elapsed * (1 - fraction) / fraction) : "?";
        string line = $"{label} {fraction:P0} elapsed {Formatting.Duration(elapsed)} eta {eta}";
        if (terminal)
        {
            long ms = _clock.ElapsedMilliseconds;
            if (ms - _lastDrawMs < 200 && fraction < 1) return;
            _lastDrawMs = ms;
            error.Write($"\r{line}   ");
            if (fraction >= 1) error.WriteLine();
        }
        else
        {
            int tenth = (int)Math.Floor(fraction * 10);
            if (tenth == _lastTenth) return;
            _lastTenth = tenth;
            error.WriteLine(line);
        }
    }
}
