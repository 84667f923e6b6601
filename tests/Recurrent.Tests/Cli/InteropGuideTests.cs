// The interop guide's config.json example, imported through the CLI, so the guide stays true.
using Recurrent.Interop;
using Recurrent.Nn;
using Recurrent.Tests.Interop;

namespace Recurrent.Tests.Cli;

public sealed class InteropGuideTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Guide()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "docs", "interop.md");
            if (File.Exists(path)) return File.ReadAllText(path);
        }
        throw new FileNotFoundException("docs/interop.md not found above the test output folder; run the tests from the repository.");
    }

    [Fact]
    public void GuideConfigExample_ImportsWeightsOfItsShape()
    {
        string guide = Guide();
        int start = guide.IndexOf("```json\n", StringComparison.Ordinal) + "```json\n".Length;
        string config = guide[start..guide.IndexOf("```", start, StringComparison.Ordinal)];
        File.WriteAllText(_folder.File("config.json"), config);
        TaskModel model = ModelFolder.FromConfig(_folder.File("config.json"));
        SafeTensors.Write(_folder.File("weights.safetensors"), model.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());

        var (code, _, stderr) = CliRun.Invoke("import", "pytorch", "--weights", _folder.File("weights.safetensors"), "--config", _folder.File("config.json"), "--out", _folder.File("imported"));

        Assert.True(code == 0, stderr);
        Assert.Equal(0, CliRun.Invoke("info", _folder.File("imported")).Code);
    }
}
