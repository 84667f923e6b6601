// The words of the training display, shared by the live bar and the plain lines so both say the same thing.
// Live:  "step 1200/5000 · loss 1.234 · 1.780 bpc · 12.3k tok/s · lr 2.0e-3"
// Plain: "step 1200/5000 (24%) loss 1.234 bpc 1.780 tokens/s 12300 lr 2.0e-3 elapsed 1:02 eta 3:15"
using System.Globalization;
using System.Text;
using Recurrent.Training;

namespace Recurrent.Cli.Output;

internal static class TrainingText
{
    private const string Separator = " · ";

    /// <summary>The description beside the live bar; elapsed time and ETA have columns of their own.</summary>
    public static string LiveDescription(TrainingProgress progress, IReadOnlyList<DisplayFigure> figures)
    {
        var line = new StringBuilder();
        line.Append(StepText(progress)).Append(Separator).Append("loss ").Append(Formatting.Fixed(progress.TrainLoss));
        foreach (var figure in figures) line.Append(Separator).Append(figure.Value).Append(' ').Append(figure.Name);
        line.Append(Separator).Append(Formatting.Compact(progress.TokensPerSecond)).Append(" tok/s");
        line.Append(Separator).Append("lr ").Append(Formatting.Scientific(progress.LearningRate));
        return line.ToString();
    }

    /// <summary>One self-contained progress line for logs.</summary>
    public static string PlainLine(TrainingProgress progress, IReadOnlyList<DisplayFigure> figures)
    {
        var line = new StringBuilder();
        line.Append(StepText(progress)).Append(" (").Append(Percent(progress.Fraction)).Append(')');
        line.Append(" loss ").Append(Formatting.Fixed(progress.TrainLoss));
        foreach (var figure in figures) line.Append(' ').Append(figure.Name).Append(' ').Append(figure.Value);
        line.Append(" tokens/s ").Append(Math.Round(progress.TokensPerSecond).ToString("0", CultureInfo.InvariantCulture));
        line.Append(" lr ").Append(Formatting.Scientific(progress.LearningRate));
        line.Append(" elapsed ").Append(Formatting.Duration(progress.ElapsedSeconds));
        line.Append(" eta ").Append(EtaSeconds(progress) is double eta ? Formatting.Duration(eta) : "?");
        return line.ToString();
    }

    /// <summary>"valid step 1200: loss 1.234 · bpc 1.780 · perplexity 3.435 · best".</summary>
    public static string EvaluationLine(EvaluationReport report)
    {
        var line = new StringBuilder();
        line.Append("valid step ").Append(report.Step.ToString(CultureInfo.InvariantCulture)).Append(':');
        bool first = true;
        foreach (var (name, value) in report.Metrics)
        {
            line.Append(first ? " " : Separator).Append(name).Append(' ').Append(Metric(value));
            first = false;
        }
        if (report.IsBest) line.Append(Separator).Append("best");
        return line.ToString();
    }

    /// <summary>The sample cut to <paramref name="maxLength"/> characters, control characters made visible, one
    /// display line per line of the sample (the ⏎ shows where the sample broke the line); not indented.</summary>
    public static IReadOnlyList<string> SampleLines(string sample, int maxLength)
    {
        string cut = Formatting.Truncate(sample, maxLength);
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i <= cut.Length; i++)
        {
            if (i < cut.Length && cut[i] != '\n') continue;
            int end = i < cut.Length ? i + 1 : i;
            if (end > start) lines.Add(Formatting.Visible(cut[start..end]));
            start = end;
        }
        return lines;
    }

    /// <summary>Seconds left: exact for a time budget, else extrapolated from the fraction done; null before any progress.</summary>
    public static double? EtaSeconds(TrainingProgress progress)
    {
        if (progress.BudgetSeconds is double budget) return Math.Max(0, budget - progress.ElapsedSeconds);
        double fraction = Math.Clamp(progress.Fraction, 0, 1);
        if (fraction <= 0 || double.IsNaN(fraction)) return null;
        return progress.ElapsedSeconds * (1 - fraction) / fraction;
    }

    private static string StepText(TrainingProgress progress) => progress.TotalSteps is int total
        ? string.Create(CultureInfo.InvariantCulture, $"step {progress.Step}/{total}")
        : string.Create(CultureInfo.InvariantCulture, $"step {progress.Step}");

    private static string Percent(double fraction) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Floor(Math.Clamp(double.IsNaN(fraction) ? 0 : fraction, 0, 1) * 100)}%");

    // Three decimals for the usual range of losses and rates; compact or scientific at the extremes.
    private static string Metric(double value)
    {
        double magnitude = Math.Abs(value);
        if (magnitude >= 1000 || double.IsNaN(value) || double.IsInfinity(value)) return Formatting.Compact(value);
        if (magnitude > 0 && magnitude < 0.01) return Formatting.Scientific(value);
        return Formatting.Fixed(value);
    }
}
