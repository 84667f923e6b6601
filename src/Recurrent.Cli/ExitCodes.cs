namespace Recurrent.Cli;

/// <summary>The exit codes scripts rely on.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>Any failure other than bad usage or bad input.</summary>
    public const int Failure = 1;
    /// <summary>Bad usage or bad input; the message names the file, line or option.</summary>
    public const int Usage = 2;
}
