using System.Text.Json;

namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class ClassifyCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-clscli-" + Guid.NewGuid().ToString("N"));

    public ClassifyCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Invoke(args);

    private string Jsonl(string name, int n, int seed)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllLines(path, Tasks.ClassificationTests.WordOrder(n, seed).Select(e => JsonSerializer.Serialize(new { text = e.Text, label = e.Label })));
        return path;
    }

    [Fact]
    public void TrainEvalPredict_EndToEnd()
    {
        string train = Jsonl("train.jsonl", 600, 1), test = Jsonl("test.jsonl", 100, 2), dir = Path.Combine(_root, "run");
        var (code, _, error) = Run("classify", "train", "--data", train, "--out", dir, "--epochs", "2", "--hidden", "24", "--embed", "12");
        Assert.True(code == 0, error);
        foreach (string file in new[] { "config.json", "model.safetensors", "trainer.json", "metrics.jsonl", "loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");

        var (evalCode, json, evalError) = Run("classify", "eval", "--model", dir, "--data", test, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        foreach (string field in new[] { "accuracy", "macro_f1", "per_class", "confusion", "labels", "examples" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), $"eval --json lacks '{field}'");
        Assert.Equal(100, doc.RootElement.GetProperty("examples").GetInt32());

        string text = Path.Combine(_root, "one.txt");
        File.WriteAllText(text, "the alpha of beta");
        var (predictCode, line, predictError) = Run("classify", "predict", "--model", dir, text);
        Assert.True(predictCode == 0, predictError);
        Assert.StartsWith(text + "\t", line);
    }

    [Fact]
    public void Train_SingleClass_ExitsTwo()
    {
        string path = Path.Combine(_root, "one.csv");
        File.WriteAllText(path, "text,label\na,x\nb,x\nc,x\n");
        var (code, _, error) = Run("classify", "train", "--data", path, "--out", Path.Combine(_root, "r"));
        Assert.Equal(2, code);
        Assert.Contains("at least two classes", error);
        Assert.False(Directory.Exists(Path.Combine(_root, "r")));
    }

    [Fact]
    public void Eval_UnknownLabel_ExitsTwoNamingIt()
    {
        string train = Jsonl("train.jsonl", 200, 1), dir = Path.Combine(_root, "run");
        Assert.Equal(0, Run("classify", "train", "--data", train, "--out", dir, "--steps", "3", "--hidden", "8", "--embed", "4").Code);
        string other = Path.Combine(_root, "other.jsonl");
        File.WriteAllText(other, "{\"text\": \"a\", \"label\": \"zz\"}\n");
        var (code, _, error) = Run("classify", "eval", "--model", dir, "--data", other);
        Assert.Equal(2, code);
        Assert.Contains("'zz'", error);
    }
}
