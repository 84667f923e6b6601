// Reads the libtorch oracle fixtures written by tools/Recurrent.Fixtures (see tools/README.md).
// A fixture is JSON: "generator", "torchsharp_version", "torch_version", "seed", a "config" object and
// "tensors", a map from name to {"shape": [...], "data": [flat row-major float32 values]}.
// Recurrent fixtures name parameters exactly as PyTorch's state_dict (weight_ih_l0, bias_hh_l1_reverse, ...)
// and their gradients with a "grad." prefix (grad.input, grad.h0, grad.weight_ih_l0, ...).
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Recurrent.Tests.Oracle;

/// <summary>One oracle fixture: its config and named float32 tensors.</summary>
public sealed partial class OracleFixture
{
    private const string FolderName = "Fixtures";
    private readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors;

    private OracleFixture(string fileName, string generator, string torchSharpVersion, string torchVersion, int seed,
        JsonElement config, Dictionary<string, (int[] Shape, float[] Data)> tensors)
    {
        FileName = fileName;
        Generator = generator;
        TorchSharpVersion = torchSharpVersion;
        TorchVersion = torchVersion;
        Seed = seed;
        Config = config;
        _tensors = tensors;
    }

    public string FileName { get; }
    public string Generator { get; }
    public string TorchSharpVersion { get; }
    public string TorchVersion { get; }
    public int Seed { get; }

    /// <summary>The fixture's "config" object (cell, sizes, lengths; or optimizer hyperparameters).</summary>
    public JsonElement Config { get; }

    /// <summary>Tensor names in file order.</summary>
    public IEnumerable<string> Names => _tensors.Keys;

    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor's values, flat and row-major. A fresh copy on each call.</summary>
    public float[] Data(string name) => (float[])Get(name).Data.Clone();

    /// <summary>The tensor's shape. A fresh copy on each call.</summary>
    public int[] Shape(string name) => (int[])Get(name).Shape.Clone();

    /// <summary>Loads a fixture by file name, e.g. "lstm_l2_bi_mixed.json".</summary>
    public static OracleFixture Load(string fileName)
    {
        string path = Path.Combine(FixturesFolder(), fileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Oracle fixture: {fileName} is not in {FixturesFolder()}; regenerate the fixtures with tools/Recurrent.Fixtures (see tools/README.md).", path);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var tensors = new Dictionary<string, (int[] Shape, float[] Data)>();
        foreach (var property in Required(root, "tensors", fileName).EnumerateObject())
        {
            int[] shape = Required(property.Value, "shape", fileName).EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] data = Required(property.Value, "data", fileName).EnumerateArray().Select(e => e.GetSingle()).ToArray();
            tensors.Add(property.Name, (shape, data));
        }
        return new OracleFixture(fileName,
            Required(root, "generator", fileName).GetString() ?? "",
            Required(root, "torchsharp_version", fileName).GetString() ?? "",
            Required(root, "torch_version", fileName).GetString() ?? "",
            Required(root, "seed", fileName).GetInt32(),
            Required(root, "config", fileName).Clone(),
            tensors);
    }

    /// <summary>
    /// The folder holding the fixtures: "Fixtures" in the test output folder, else tests/Recurrent.Tests/Fixtures
    /// found by walking up from the output folder.
    /// </summary>
    public static string FixturesFolder()
    {
        string copied = Path.Combine(AppContext.BaseDirectory, FolderName);
        if (Directory.Exists(copied) && Directory.EnumerateFiles(copied, "*.json").Any()) return copied;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string source = Path.Combine(dir.FullName, "tests", "Recurrent.Tests", FolderName);
            if (Directory.Exists(source)) return source;
        }
        throw new DirectoryNotFoundException($"Oracle fixture: no {FolderName} folder in {AppContext.BaseDirectory} or tests/Recurrent.Tests above it; build the test project from the repository.");
    }

    /// <summary>Every fixture file name, sorted.</summary>
    public static IEnumerable<string> AllFixtures() =>
        Directory.EnumerateFiles(FixturesFolder(), "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>Recurrent-layer fixture file names, e.g. "rnn_tanh_l1_uni_equal.json", "lstm_l2_bi_mixed.json".</summary>
    public static IEnumerable<string> AllRecurrentFixtures() => AllFixtures().Where(f => RecurrentPattern().IsMatch(f));

    /// <summary>Optimizer fixture file names, e.g. "optim_adam.json".</summary>
    public static IEnumerable<string> AllOptimizerFixtures() => AllFixtures().Where(f => f.StartsWith("optim_", StringComparison.Ordinal));

    [GeneratedRegex(@"^(rnn_tanh|rnn_relu|lstm|gru)_l\d+_(uni|bi)_(equal|mixed)\.json$")]
    private static partial Regex RecurrentPattern();

    private (int[] Shape, float[] Data) Get(string name) =>
        _tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"Oracle fixture {FileName}: no tensor named '{name}'; it has {string.Join(", ", _tensors.Keys)}.");

    private static JsonElement Required(JsonElement element, string property, string fileName) =>
        element.TryGetProperty(property, out var value)
            ? value
            : throw new InvalidDataException($"Oracle fixture {fileName}: property '{property}' is missing; regenerate the fixtures with tools/Recurrent.Fixtures.");
}
