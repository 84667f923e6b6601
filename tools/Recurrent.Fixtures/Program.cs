// Writes the libtorch oracle fixtures that tests/Recurrent.Tests/Oracle reads. See tools/README.md.
// Usage: dotnet run -c Release --project tools/Recurrent.Fixtures [-- --out <folder>]
using Recurrent.Fixtures;

string? outputFolder = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length) outputFolder = args[++i];
    else if (args[i] is "--help" or "-h")
    {
        Console.WriteLine("Recurrent.Fixtures [--out <folder>]   (default: tests/Recurrent.Tests/Fixtures under the repository root)");
        return 0;
    }
    else
    {
        Console.Error.WriteLine($"Recurrent.Fixtures: unknown argument '{args[i]}'; expected --out <folder> or --help.");
        return 2;
    }
}

outputFolder ??= Path.Combine(FindRepositoryRoot(), "tests", "Recurrent.Tests", "Fixtures");
Directory.CreateDirectory(outputFolder);
Libtorch.Initialize();
Console.WriteLine($"TorchSharp {Libtorch.TorchSharpVersion}, libtorch {Libtorch.TorchVersion}; writing to {Path.GetFullPath(outputFolder)}");
int count = 0;
foreach (string fileName in RecurrentFixtures.WriteAll(outputFolder).Concat(OptimizerFixtures.WriteAll(outputFolder)).Concat(StateDictFixtures.WriteAll(outputFolder)))
{
    Console.WriteLine($"  {fileName}");
    count++;
}
Console.WriteLine($"{count} fixture(s) written.");
return 0;

static string FindRepositoryRoot()
{
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Recurrent.slnx"))) return dir.FullName;
    throw new DirectoryNotFoundException("Recurrent.Fixtures: no Recurrent.slnx found above the current folder or the program; run from the repository or pass --out <folder>.");
}
