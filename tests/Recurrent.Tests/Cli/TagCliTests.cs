using System.Text;
using System.Text.Json;
using Recurrent.Tasks.Tagging;

namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class TagCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-tagcli-" + Guid.NewGuid().ToString("N"));

    public TagCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Conll(string name, IEnumerable<TaggedSequence> sequences)
    {
        string path = Path.Combine(_root, name);
        var sb = new StringBuilder("-DOCSTART- O\n\n");
        foreach (var s in sequences)
        {
            for (int i = 0; i < s.Tokens.Length; i++) sb.Append(s.Tokens[i]).Append(' ').Append(s.Tags![i]).Append('\n');
            sb.Append('\n');
        }
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    [Fact]
    public void TrainEvalPredict_EndToEnd_AndResume()
    {
        string train = Conll("train.conll", Tasks.Tagging.TaggerTests.NextWordTask(300, 1));
        string test = Conll("test.conll", Tasks.Tagging.TaggerTests.NextWordTask(50, 2));
        string dir = Path.Combine(_root, "run");
        var (code, _, error) = CliRun.Invoke("tag", "train", "--data", train, "--out", dir, "--steps", "20", "--eval-every", "10", "--hidden", "12", "--embed", "6",
            "--embedding", "both", "--char-hidden", "4", "--char-embed", "4");
        Assert.True(code == 0, error);
        foreach (string file in new[] { "config.json", "model.safetensors", "trainer.json", "metrics.jsonl", "loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");

        var (resumeCode, _, resumeError) = CliRun.Invoke("tag", "train", "--resume", dir, "--steps", "30");
        Assert.True(resumeCode == 0, resumeError);
        Assert.Contains("\"step\": 30", File.ReadAllText(Path.Combine(dir, "trainer.json")));

        var (evalCode, json, evalError) = CliRun.Invoke("tag", "eval", "--model", dir, "--data", test, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        foreach (string field in new[] { "token_accuracy", "span_f1", "per_type" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), $"eval --json lacks '{field}'");
        Assert.True(doc.RootElement.GetProperty("per_type").TryGetProperty("N", out var n) && n.TryGetProperty("support", out _));

        var (infoCode, info, infoError) = CliRun.Invoke("info", dir);
        Assert.True(infoCode == 0, infoError);
        Assert.Contains("char_rnn.weight_hh_l0_reverse", info);

        var (predictCode, output, predictError) = CliRun.Invoke("tag", "predict", "--model", dir, test);
        Assert.True(predictCode == 0, predictError);
        string[] lines = output.Split('\n');
        string firstToken = File.ReadLines(test).Skip(2).First().Split(' ')[0];
        Assert.StartsWith(firstToken + "\t", lines[0]);
        Assert.Equal(File.ReadLines(test).Count(l => l.Length == 0) - 1, lines.Count(l => l.Length == 0) - 1);
    }

    [Fact]
    public void Train_BadLine_ExitsTwoNamingFileAndLine()
    {
        string path = Path.Combine(_root, "bad.conll");
        File.WriteAllText(path, "a\tB-X\n\nb\tO\nc\n");
        var (code, _, error) = CliRun.Invoke("tag", "train", "--data", path, "--out", Path.Combine(_root, "r"));
        Assert.Equal(2, code);
        Assert.Contains("bad.conll: line 4", error);
        Assert.False(Directory.Exists(Path.Combine(_root, "r")));
    }

    [Fact]
    public void TruecaseData_WritesSplitFiles()
    {
        string text = Path.Combine(_root, "t.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Range(0, 10).Select(i => $"Sentence number {i} is Here. ")));
        string output = Path.Combine(_root, "tc.conll");
        var (code, _, error) = CliRun.Invoke("tag", "truecase-data", "--text", text, "--out", output, "--split", "0.8");
        Assert.True(code == 0, error);
        var trainPart = ConllReader.Read(output, new ConllColumns());
        var testPart = ConllReader.Read(Path.Combine(_root, "tc.test.conll"), new ConllColumns());
        Assert.Equal((8, 2), (trainPart.Count, testPart.Count));
        Assert.Equal("Sentence number 8 is Here.", TruecaseData.Apply(testPart[0].Tokens, testPart[0].Tags!));

        string dir = Path.Combine(_root, "run"), input = Path.Combine(_root, "in.txt");
        (code, _, error) = CliRun.Invoke("tag", "train", "--data", output, "--valid", Path.Combine(_root, "tc.test.conll"), "--out", dir, "--steps", "2", "--hidden", "4", "--embed", "4");
        Assert.True(code == 0, error);
        File.WriteAllText(input, "Sentence Number Nine.\nis here.\n");
        var (recaseCode, recased, recaseError) = CliRun.Invoke("tag", "truecase", "--model", dir, input);
        Assert.True(recaseCode == 0, recaseError);
        Assert.Equal(["sentence number nine.", "is here."], recased.TrimEnd('\n').Split('\n').Select(l => l.ToLowerInvariant()).ToArray());
    }
}
