// The header every model folder's config.json starts with: which task the model is for and the format version
// of the file. One check for every task, so a model given to the wrong command gets the same clear message.
using System.Text.Json.Nodes;

namespace Recurrent.Data;

/// <summary>Checks the <c>task</c> and <c>format_version</c> fields of a model's config.json.</summary>
public static class ModelConfigHeader
{
    /// <summary>Throws unless <paramref name="config"/> is for <paramref name="taskName"/> in <paramref name="formatVersion"/>.</summary>
    /// <param name="config">The parsed config.json.</param>
    /// <param name="path">Its path, for messages.</param>
    /// <param name="taskName">The task's name as in the CLI (<c>lm</c>, <c>classify</c>, …).</param>
    /// <param name="formatVersion">The one format version this code reads.</param>
    /// <param name="modelDescription">What the model is called in a message, with its article ("a tagger").</param>
    /// <exception cref="RecurrentDataException">Another task, another version, or the version missing.</exception>
    public static void Check(JsonObject config, string path, string taskName, int formatVersion, string modelDescription)
    {
        string task = config["task"]?.GetValue<string>() ?? "";
        if (task != taskName)
            throw new RecurrentDataException($"{path}: this model is for task '{task}', not {modelDescription}; use 'rnn {task} …' with it.");
        int version = config["format_version"]?.GetValue<int>()
            ?? throw new RecurrentDataException($"{path}: the field 'format_version' is missing; is this a config.json written by 'rnn {taskName} train'?");
        if (version != formatVersion)
            throw new RecurrentDataException($"{path}: format version {version} is not supported (expected {formatVersion}).");
    }
}
