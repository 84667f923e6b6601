using Recurrent.Data;
using Recurrent.Tasks.Classification;

namespace Recurrent.Tests.Cli;

/// <summary>The CLI's encoding of labelled data, for the classification tests.</summary>
internal static class ClassifyTrainCommandAccess
{
    public static EncodedExamples Encode(ClassificationConfig config, LabeledData data) =>
        Recurrent.Cli.Commands.ClassifyTrainCommand.Encode(config, data);
}
