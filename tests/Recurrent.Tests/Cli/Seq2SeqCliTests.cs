using System.Text.Json;
using Recurrent.Tests.Tasks.Seq2Seq;

namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class Seq2SeqCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-s2scli-" + Guid.NewGuid().ToString("N"));

    public Seq2SeqCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Invoke(args);

    private string ReverseTsv(string name, int n, ulong seed)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllLines(path, Seq2SeqLearnsTests.ReversePairs(n, seed).Select(p => $"{p.Source}\t{p.Targets[0]}"));
        return path;
    }

    private static readonly string[] TinyModel = ["--source-tokenizer", "char", "--target-tokenizer", "char", "--hidden", "12", "--decoder-hidden", "16", "--embed", "8", "--layers", "1"];

    [Fact]
    public void TrainTranslateEval_EndToEnd_WithTestSplitAndAttentionPlot()
    {
        string data = ReverseTsv("pairs.tsv", 300, 1), dir = Path.Combine(_root, "run");
        var (code, _, error) = Run(["seq2seq", "train", "--data", data, "--out", dir, "--steps", "6", "--test-fraction", "0.1", .. TinyModel]);
        Assert.True(code == 0, error);
        foreach (string file in new[] { "config.json", "model.safetensors", "trainer.json", "metrics.jsonl", "loss.png", "test.tsv" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");
        int sources = File.ReadAllLines(data).Select(l => l.Split('\t')[0]).Distinct().Count(), held = (int)Math.Round(sources * 0.1);
        Assert.Equal(held, File.ReadAllLines(Path.Combine(dir, "test.tsv")).Length);

        var (evalCode, json, evalError) = Run("seq2seq", "eval", "--model", dir, "--data", Path.Combine(dir, "test.tsv"), "--beam", "3", "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        foreach (string field in new[] { "exact_match", "ser", "ter", "bleu", "examples" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), $"eval --json lacks '{field}'");
        Assert.Equal(held, doc.RootElement.GetProperty("examples").GetInt32());
        Assert.Equal(1.0, doc.RootElement.GetProperty("exact_match").GetDouble() + doc.RootElement.GetProperty("ser").GetDouble(), 6);

        string input = Path.Combine(_root, "in.txt"), plot = Path.Combine(_root, "attention.png");
        File.WriteAllText(input, "abc\nfed\n\nab\n");
        var (translateCode, lines, translateError) = Run("seq2seq", "translate", "--model", dir, "--input", input, "--beam", "2", "--attention-plot", plot);
        Assert.True(translateCode == 0, translateError);
        Assert.Equal(4, lines.Split('\n').Length - 1);
        Assert.True(new FileInfo(plot).Length > 1000, "attention plot missing or empty");

        var (jsonCode, jsonLines, _) = Run("seq2seq", "translate", "--model", dir, "--input", input, "--json");
        Assert.Equal(0, jsonCode);
        using var first = JsonDocument.Parse(jsonLines.Split('\n')[0]);
        Assert.Equal("abc", first.RootElement.GetProperty("input").GetString());
    }

    [Fact]
    public void Eval_ReadsCmuDict_WithTheModelsStressSetting()
    {
        string dict = Path.Combine(_root, "cmu.dict");
        File.WriteAllText(dict, "CAT  K AE1 T\nCAT(1)  K AA1 T\nDOG  D AO1 G\nAT  AE1 T\nTO  T UW1\nGO  G OW1\nCOT  K AA1 T\nDOT  D AA1 T\nTAG  T AE1 G\nGAT  G AE1 T\n");
        string dir = Path.Combine(_root, "g2p");
        var (code, _, error) = Run("seq2seq", "train", "--data", dict, "--format", "cmudict", "--strip-stress", "--valid-fraction", "0.2", "--out", dir, "--steps", "3",
            "--hidden", "8", "--decoder-hidden", "8", "--embed", "4", "--layers", "1");
        Assert.True(code == 0, error);
        var (evalCode, json, evalError) = Run("seq2seq", "eval", "--model", dir, "--data", dict, "--format", "cmudict", "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(9, doc.RootElement.GetProperty("examples").GetInt32());
    }

    [Theory]
    [InlineData("--attention", "sideways", "--attention must be none, bahdanau, luong-dot or luong-general")]
    [InlineData("--format", "xml", "--format must be tsv or cmudict")]
    [InlineData("--teacher-forcing", "1.5", "--teacher-forcing must be in [0, 1]")]
    [InlineData("--test-fraction", "0.99", "--test-fraction must be")]
    public void Train_BadOption_ExitsTwoNamingIt(string option, string value, string expected)
    {
        string data = ReverseTsv("pairs.tsv", 50, 1), dir = Path.Combine(_root, "bad");
        var (code, _, error) = Run(["seq2seq", "train", "--data", data, "--out", dir, "--steps", "1", option, value, .. TinyModel]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(Path.Combine(dir, "config.json")), "no run folder should be written for bad usage");
    }

    [Fact]
    public void Train_BadDataLine_ExitsTwoNamingFileAndLine()
    {
        string data = Path.Combine(_root, "broken.tsv");
        File.WriteAllText(data, "abc\tcba\nno tab here\n");
        var (code, _, error) = Run(["seq2seq", "train", "--data", data, "--out", Path.Combine(_root, "r"), "--steps", "1", .. TinyModel]);
        Assert.Equal(2, code);
        Assert.Contains($"{data}: line 2 has no tab", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void TranslateAndEval_Misuse_ExitTwo()
    {
        Assert.Equal(2, Run("seq2seq", "train").Code);
        var (code, _, error) = Run("seq2seq", "translate", "--model", Path.Combine(_root, "none"));
        Assert.Equal(2, code);
        Assert.Contains("model folder not found", error);
        Assert.Equal(2, Run("seq2seq", "eval", "--model", _root, "--data", "x.tsv", "--beam", "0").Code);
        string data = ReverseTsv("pairs.tsv", 60, 1), dir = Path.Combine(_root, "run");
        Assert.Equal(0, Run(["seq2seq", "train", "--data", data, "--out", dir, "--steps", "1", .. TinyModel]).Code);
        var (plotCode, _, plotError) = Run("seq2seq", "translate", "--model", dir, "--input", data, "--attention-plot", Path.Combine(_root, "a.jpg"));
        Assert.Equal(2, plotCode);
        Assert.Contains(".png", plotError);
    }
}
