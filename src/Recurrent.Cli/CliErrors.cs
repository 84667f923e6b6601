// Which exceptions mean "the user gave bad usage or bad input" (exit code 2), and how to say them.
namespace Recurrent.Cli;

internal static class CliErrors
{
    public static bool IsUsage(Exception e) =>
        e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or RecurrentDataException;

    /// <summary>
    /// A parse error in the user's terms: "--steps expects a whole number (at most 2,147,483,647); got 'abc'." instead of
    /// the parser's "Cannot parse argument 'abc' for option '--steps' as expected type 'System.Nullable`1[System.Int32]'".
    /// Other messages pass through unchanged.
    /// </summary>
    public static string DescribeParseError(string message)
    {
        var match = System.Text.RegularExpressions.Regex.Match(message,
            @"^Cannot parse argument '(?<value>.*)' for (?:option|command|argument) '(?<name>[^']*)' as expected type '(?:System\.Nullable`1\[)?(?<type>[\w.]+)\]?'\.?$");
        if (!match.Success) return message;
        string? expected = match.Groups["type"].Value switch
        {
            "System.Int32" => "a whole number (at most 2,147,483,647)",
            "System.Int64" => "a whole number",
            "System.UInt32" or "System.UInt64" => "a whole number ≥ 0",
            "System.Single" or "System.Double" => "a number",
            "System.Boolean" => "true or false",
            _ => null,
        };
        return expected is null ? message : $"{match.Groups["name"].Value} expects {expected}; got '{match.Groups["value"].Value}'.";
    }

    /// <summary>The message alone: without .NET's "(Parameter 'x')" and "Actual value was" suffixes.</summary>
    public static string Describe(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
            message = message.Replace($" (Parameter '{name}')", "");
        int actual = message.IndexOf("\nActual value was", StringComparison.Ordinal);
        return actual >= 0 ? message[..actual] : message;
    }
}
