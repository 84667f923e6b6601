// Entry point of `rnn`. Parsing errors and bad input exit with code 2 and a one-line message;
// any other failure exits with 1. No stack trace unless --verbose.
using System.CommandLine;
using Recurrent.Cli.Commands;

namespace Recurrent.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI with the given arguments; used by tests too.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var verbose = new Option<bool>("--verbose") { Description = "Print stack traces on failure.", Recursive = true };
        var root = new RootCommand("rnn: train and run recurrent neural networks (RNN, LSTM, GRU) on the CPU.")
        {
            verbose,
        };
        root.Subcommands.Add(LmCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(Seq2SeqCommand.Create());
        root.Subcommands.Add(InteropCommands.Export());
        root.Subcommands.Add(InteropCommands.Import());
        root.Subcommands.Add(InteropCommands.Info());
        root.Subcommands.Add(TagCommand.Create());
        root.Subcommands.Add(CaptionCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());

        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors) error.WriteLine($"rnn: {CliErrors.DescribeParseError(parseError.Message)}");
            error.WriteLine("Run 'rnn --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (CliErrors.IsUsage(e))
        {
            error.WriteLine($"rnn: {CliErrors.Describe(e)}");
            if (parse.GetValue(verbose)) error.WriteLine(e);
            return ExitCodes.Usage;
        }
        catch (Exception e)
        {
            error.WriteLine($"rnn: {e.Message}");
            if (parse.GetValue(verbose)) error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }
}
