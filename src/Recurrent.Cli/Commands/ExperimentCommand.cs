// `rnn experiment …`: the lecture's claims about recurrent training, measured on this machine —
// gradient-flow (vanishing/exploding gradients against the spectral radius of W_h), long-range (which cell
// learns the synthetic tasks of Hochreiter & Schmidhuber 1997 at which length) and clipping (gradient-norm
// clipping on a setting that explodes). The library runs the experiments; this file parses options, draws the
// progress, and writes the CSV, the plots and the tables into the output folder.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Recurrent.Cli.Output;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Cli.Commands;

internal static class ExperimentCommand
{
    public static Command Create()
    {
        var experiment = new Command("experiment", "Reproduce the lecture's claims: vanishing/exploding gradients, long-range memory, gradient clipping.");
        experiment.Subcommands.Add(GradientFlowCommand.Create());
        experiment.Subcommands.Add(LongRangeCommand.Create());
        experiment.Subcommands.Add(ClippingCommand.Create());
        return experiment;
    }
}

/// <summary>Options every experiment takes, and the parsing of list options with messages that name the option.</summary>
internal sealed class ExperimentOptions
{
    public Option<string?> Out { get; } = new("--out") { Description = "Output folder (default runs/experiment-<name>-<timestamp>); files already there are never overwritten." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Random seed of the weights and the data (default 1): the same seed gives the same numbers." };
    public Option<int?> Threads { get; } = CommonOptions.Threads();

    public void AddTo(Command command)
    {
        command.Options.Add(Out);
        command.Options.Add(Seed);
        command.Options.Add(Threads);
    }

    /// <summary>An integer option checked to lie in [min, max] at parse time.</summary>
    public static Option<int?> Int(string name, string description, int min, int max = int.MaxValue) => new(name)
    {
        Description = description,
        CustomParser = result => CommonOptions.ParseInt(result, name, min, max),
    };

    /// <summary>A comma-separated list of cells: rnn, rnn-relu, lstm, gru, gru-original.</summary>
    public static IReadOnlyList<CellKind> ParseCells(string text, string option) =>
        Split(text, option).Select(name => name switch
        {
            "rnn" or "rnn-tanh" or "rnn-relu" or "lstm" or "gru" or "gru-original" => LanguageModelConfig.ParseCell(name, option),
            _ => throw new ArgumentException($"{option}: cell '{name}' is unknown; expected a comma-separated list of rnn, rnn-relu, lstm, gru, gru-original."),
        }).ToArray();

    /// <summary>A comma-separated list of whole numbers, each ≥ <paramref name="min"/>.</summary>
    public static IReadOnlyList<int> ParseInts(string text, string option, int min) =>
        Split(text, option).Select(item => int.TryParse(item, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new ArgumentException($"{option}: '{item}' is not a whole number ≥ {min}; give e.g. {option} {min},{min * 2}.")).ToArray();

    /// <summary>A comma-separated list of numbers, each &gt; 0.</summary>
    public static IReadOnlyList<double> ParsePositives(string text, string option) =>
        Split(text, option).Select(item => double.TryParse(item, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v) ? v
            : throw new ArgumentException($"{option}: '{item}' is not a positive number; give e.g. {option} 0.9,1.1.")).ToArray();

    /// <summary>A positive finite float, or the fallback when not given.</summary>
    public static float Positive(float? value, string option, float fallback) => value switch
    {
        null => fallback,
        float v when v > 0 && float.IsFinite(v) => v,
        float v => throw new ArgumentException($"{option} must be a positive number; got {v.ToString(CultureInfo.InvariantCulture)}."),
    };

    private static string[] Split(string text, string option)
    {
        string[] items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return items.Length > 0 ? items : throw new ArgumentException($"{option}: expected a comma-separated list; got '{text}'.");
    }

    /// <summary>
    /// The output folder: --out, or runs/experiment-<paramref name="name"/>-&lt;timestamp&gt;. Fails (exit 2) when any of
    /// <paramref name="files"/> is already there, so nothing is overwritten.
    /// </summary>
    public string ResolveFolder(ParseResult parse, string name, IEnumerable<string> files)
    {
        string folder = parse.GetValue(Out) ?? Path.Combine("runs", $"experiment-{name}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (File.Exists(folder))
            throw new ArgumentException($"--out {folder}: that is a file; give a folder.");
        string[] present = files.Where(f => File.Exists(Path.Combine(folder, f))).ToArray();
        if (present.Length > 0)
            throw new ArgumentException($"--out {folder}: it already holds {string.Join(", ", present)}; choose another --out (nothing was overwritten).");
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Runs an experiment; a stop by request (Ctrl+C) ends it with a message saying nothing was written.</summary>
    public static T Stoppable<T>(Func<T> run)
    {
        try
        {
            return run();
        }
        catch (OperationCanceledException e)
        {
            throw new OperationCanceledException("the experiment was stopped by request before it finished; no results were written.", e);
        }
    }

    /// <summary>The progress display: a bar on a terminal, plain lines otherwise.</summary>
    public static ConsoleTrainingObserver Display(ParseResult parse) =>
        new(TrainingDisplayOptions.Default(), parse.InvocationConfiguration.Output);
}
