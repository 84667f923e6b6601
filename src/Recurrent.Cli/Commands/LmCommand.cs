// `rnn lm train | sample | eval`: the character (or word) language model.
using System.CommandLine;

namespace Recurrent.Cli.Commands;

internal static class LmCommand
{
    public static Command Create()
    {
        var lm = new Command("lm", "Language model (many-to-many): train on any text, generate text, score text.");
        lm.Subcommands.Add(LmTrainCommand.Create());
        lm.Subcommands.Add(LmSampleCommand.Create());
        lm.Subcommands.Add(LmEvalCommand.Create());
        lm.Subcommands.Add(LmCalibrateCommand.Create());
        return lm;
    }

    /// <summary>
    /// Rejects a text too short to score: each token is predicted from those before it, so at least 2 are needed.
    /// <paramref name="source"/> names the text as the user gave it (a path, or which part of one).
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static void RequireScorable(string source, int tokens, string remedy)
    {
        if (tokens < 2)
            throw new RecurrentDataException($"{source}: {tokens} token{(tokens == 1 ? "" : "s")}, and scoring needs at least 2 (each token is predicted from the ones before it); {remedy}.");
    }
}
