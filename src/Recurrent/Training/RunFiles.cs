// Files of a run folder, each written atomically (temporary file in the same folder, flushed, renamed
// into place) so a kill at any moment leaves the previous version intact.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Recurrent.Training;

/// <summary>Atomic file writes and the run folder's file names.</summary>
public static class RunFiles
{
    public const string Config = "config.json";
    public const string Model = "model.safetensors";
    public const string Trainer = "trainer.json";
    public const string Metrics = "metrics.jsonl";
    public const string NGramText = "ngram.txt";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="text"/> as UTF-8 to <paramref name="path"/> atomically.</summary>
    public static void WriteTextAtomic(string path, string text) => WriteBytesAtomic(path, new UTF8Encoding(false).GetBytes(text));

    /// <summary>Writes JSON (indented) atomically.</summary>
    public static void WriteJsonAtomic(string path, JsonNode node) => WriteTextAtomic(path, node.ToJsonString(Indented) + "\n");

    /// <summary>Writes bytes atomically: temporary file, flush to disk, rename over the target.</summary>
    /// <exception cref="RecurrentDataException"><paramref name="path"/> is an existing folder.</exception>
    public static void WriteBytesAtomic(string path, ReadOnlySpan<byte> bytes)
    {
        string full = Path.GetFullPath(path);
        RequireNotFolder(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Rejects a file to be written whose path names an existing folder, before anything is written.</summary>
    /// <exception cref="RecurrentDataException">It does.</exception>
    public static void RequireNotFolder(string path)
    {
        if (Directory.Exists(path))
            throw new RecurrentDataException($"{path}: is a folder; give the path of a file to write (the folder is left as it is).");
    }

    /// <summary>Reads a JSON object file, with a clear error naming the file when it is missing or malformed.</summary>
    /// <exception cref="RecurrentDataException">Missing, unreadable or not a JSON object.</exception>
    public static JsonObject ReadJsonObject(string path)
    {
        if (!File.Exists(path))
            throw new RecurrentDataException($"{path}: file not found; is this a folder written by 'rnn … train'?");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new RecurrentDataException($"{path}: expected a JSON object at the top level.");
        }
        catch (JsonException e)
        {
            throw new RecurrentDataException($"{path}: not valid JSON ({e.Message}); the file is damaged — restore it or retrain.", e);
        }
    }

    /// <summary>Deletes a file if it exists, ignoring failures (cleanup only).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
