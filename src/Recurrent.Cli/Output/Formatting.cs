// Short, culture-independent renderings of numbers, durations and generated text for the training display.
// Everything here is pure so the display's lines can be tested as strings.
using System.Globalization;
using System.Text;

namespace Recurrent.Cli.Output;

/// <summary>Formatting helpers for progress lines: compact numbers, durations, visible control characters.</summary>
public static class Formatting
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly (double Scale, string Suffix)[] Magnitudes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")];

    /// <summary>
    /// A number in at most three significant digits with a k/M/G/T suffix: 950 → "950", 12 345 → "12.3k",
    /// 1 234 567 → "1.23M", 0.5 → "0.5". NaN and infinities print as "NaN", "∞", "-∞".
    /// </summary>
    public static string Compact(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "∞" : "-∞";
        double magnitude = Math.Abs(value);
        foreach (var (scale, suffix) in Magnitudes)
        {
            // Rounding to three digits can carry into the next magnitude (999 950 → "1.00M", not "1000k").
            if (RoundToThreeDigits(magnitude / scale) >= 1) return ThreeDigits(value / scale) + suffix;
        }
        return ThreeDigits(value);
    }

    /// <summary>A duration to the nearest second as "m:ss" below an hour and "h:mm:ss" from an hour on: 195 s → "3:15", 3723 s → "1:02:03".
    /// Negative durations print as "0:00"; NaN and infinities as "?".</summary>
    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds > TimeSpan.MaxValue.TotalSeconds) return "?";
        long whole = (long)Math.Round(Math.Max(0, seconds), MidpointRounding.AwayFromZero);
        long hours = whole / 3600, minutes = whole / 60 % 60, secs = whole % 60;
        return hours > 0
            ? string.Create(Invariant, $"{hours}:{minutes:00}:{secs:00}")
            : string.Create(Invariant, $"{minutes}:{secs:00}");
    }

    /// <inheritdoc cref="Duration(double)"/>
    public static string Duration(TimeSpan duration) => Duration(duration.TotalSeconds);

    /// <summary>A number in scientific notation with one decimal, as learning rates are usually written: 0.002 → "2.0e-3".</summary>
    public static string Scientific(double value) => value == 0 ? "0" : value.ToString("0.0e0", Invariant);

    /// <summary>A number with a fixed count of decimals, invariant culture: (1.2345, 3) → "1.234".</summary>
    public static string Fixed(double value, int decimals = 3) => value.ToString("F" + decimals, Invariant);

    /// <summary>
    /// Makes control characters visible so generated text cannot move the cursor or break a line: line feed → ⏎,
    /// tab → ⇥, other C0 controls and DEL → their Unicode control pictures (␍, ␛, …), C1 controls → ·.
    /// </summary>
    public static string Visible(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length);
        foreach (char c in text) builder.Append(VisibleChar(c));
        return builder.ToString();
    }

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxLength"/> characters, ending with "…" when cut.
    /// Never splits a surrogate pair.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 1.</exception>
    public static string Truncate(string text, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        if (text.Length <= maxLength) return text;
        int keep = maxLength - 1;
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text.AsSpan(0, keep), "…");
    }

    private static char VisibleChar(char c) => c switch
    {
        '\n' => '⏎',
        '\t' => '⇥',
        < ' ' => (char)(0x2400 + c),
        '\u007F' => '␡',
        >= '\u0080' and <= '\u009F' => '·',
        _ => c,
    };

    private static double RoundToThreeDigits(double value)
    {
        int decimals = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
        return Math.Round(value, decimals, MidpointRounding.AwayFromZero);
    }

    // Three significant digits without trailing zeros below 1000: 12.3, 1.5, 950, 0.05.
    private static string ThreeDigits(double value)
    {
        double magnitude = Math.Abs(value);
        if (magnitude >= 100) return Math.Round(value, MidpointRounding.AwayFromZero).ToString("0", Invariant);
        if (magnitude >= 10) return value.ToString("0.#", Invariant);
        if (magnitude >= 1) return value.ToString("0.##", Invariant);
        return value.ToString("0.###", Invariant);
    }
}
