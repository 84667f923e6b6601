// Which exceptions mean "the user gave bad usage or bad input" (exit code 2).
namespace Recurrent.Cli;

internal static class CliErrors
{
    public static bool IsUsage(Exception e) =>
        e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or Recurrent.RecurrentDataException;
}
