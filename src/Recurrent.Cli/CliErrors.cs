// Which exceptions mean "the user gave bad usage or bad input" (exit code 2), and how to say them.
namespace Recurrent.Cli;

internal static class CliErrors
{
    public static bool IsUsage(Exception e) =>
        e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or RecurrentDataException;

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
