// Options shared by several commands, declared once so names and help read the same everywhere.
using System.CommandLine;
using Recurrent.Tensors;

namespace Recurrent.Cli.Commands;

internal static class CommonOptions
{
    /// <summary><c>--threads N</c>: kernel threads, default all cores.</summary>
    public static Option<int?> Threads()
    {
        var option = new Option<int?>("--threads") { Description = $"Threads for the kernels (1…256; default: all {Environment.ProcessorCount} cores)." };
        option.Validators.Add(result =>
        {
            int? value = result.GetValueOrDefault<int?>();
            if (value is < 1 or > 256)
                result.AddError($"--threads must be between 1 and 256; got {value}.");
        });
        return option;
    }

    public static void ApplyThreads(int? threads)
    {
        if (threads is int t) Parallelism.ThreadCount = t;
    }
}
