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
}
