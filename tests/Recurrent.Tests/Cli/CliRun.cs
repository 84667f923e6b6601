using Recurrent.Cli;

namespace Recurrent.Tests.Cli;

/// <summary>Runs the rnn CLI in-process and captures its exit code, standard output and standard error.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
