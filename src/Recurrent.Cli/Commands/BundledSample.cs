// The sample text carried inside the rnn tool, so `rnn lm train` works with no file at all.
using System.Reflection;
using System.Text;

namespace Recurrent.Cli.Commands;

internal static class BundledSample
{
    public const string ResourceName = "samples/moby-dick.txt";

    public static string Read(Action<string> say)
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The bundled sample '{ResourceName}' is missing from this build of rnn.");
        using var reader = new StreamReader(stream, new UTF8Encoding(false, true));
        say("no --data given: training on the bundled sample, Herman Melville's Moby-Dick (samples/moby-dick.txt, public domain)");
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }
}
