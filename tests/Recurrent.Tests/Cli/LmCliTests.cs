using System.Text.Json;
using Recurrent.Cli.Commands;

namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class LmCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-lmcli-" + Guid.NewGuid().ToString("N"));

    public LmCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Invoke(args);

    private string File_(string name, byte[] bytes)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Text(string name, string text) => File_(name, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A short text that trains without complaint.</summary>
    private string OkText() => Text("ok.txt", string.Concat(Enumerable.Repeat("some text to train on. ", 200)));

    /// <summary>Trains a tiny model on <paramref name="data"/> into <paramref name="dir"/> for <paramref name="steps"/> steps.</summary>
    private static void TrainTiny(string data, string dir, int steps)
    {
        var (code, _, error) = Run("lm", "train", "--data", data, "--out", dir, "--steps", $"{steps}", "--eval-every", $"{steps}",
            "--hidden", "16", "--embed", "8", "--batch", "4", "--bptt", "16");
        Assert.True(code == 0, error);
    }

    private static void AssertUsageError(string expectedInMessage, params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.True(code == 2, $"exit code {code}, stderr: {error}");
        Assert.Contains(expectedInMessage, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Train_MissingFile_ExitsTwoNamingIt() => AssertUsageError("nope.txt", "lm", "train", "--data", "nope.txt", "--out", "x");

    [Fact]
    public void Train_EmptyFile_ExitsTwoNamingIt()
    {
        string path = Text("empty.txt", "");
        AssertUsageError("empty.txt", "lm", "train", "--data", path, "--out", Path.Combine(_root, "r"));
    }

    [Fact]
    public void Train_NotUtf8_ExitsTwoWithLineAndColumn()
    {
        string path = File_("latin1.txt", [(byte)'o', (byte)'k', (byte)'\n', (byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n']);
        AssertUsageError("line 2 of the data is not valid UTF-8 (byte 0xE9 at column 4)", "lm", "train", "--data", path, "--out", Path.Combine(_root, "r"));
        Assert.False(Directory.Exists(Path.Combine(_root, "r")), "nothing may be written for bad input");
    }

    [Fact]
    public void Train_TextShorterThanOneBatch_ExitsTwoSayingWhatToDo()
    {
        string path = Text("short.txt", "just a few characters here");
        AssertUsageError("short.txt: the training text has 25 token(s), too few for --batch 32", "lm", "train", "--data", path, "--out", Path.Combine(_root, "r"));
        AssertUsageError("use --batch 12 or less", "lm", "train", "--data", path, "--out", Path.Combine(_root, "r"));
        Assert.False(Directory.Exists(Path.Combine(_root, "r")));
    }

    [Fact]
    public void Train_OutIsAFile_ExitsTwoAndLeavesTheFile()
    {
        string path = OkText();
        string taken = Text("taken", "mine");
        AssertUsageError("--out " + taken + ": that is a file; give a folder for the run", "lm", "train", "--data", path, "--out", taken, "--steps", "1");
        Assert.Equal("mine", File.ReadAllText(taken));
    }

    [Fact]
    public void Train_ValidationPartWithoutTwoTokens_ExitsTwoBeforeTraining()
    {
        // Three characters: enough to train one stream on, while their last 5 % holds no token to validate on.
        string path = Text("abc.txt", "abc");
        string dir = Path.Combine(_root, "r");
        AssertUsageError("abc.txt (its last 5%, held out for validation): 0 tokens", "lm", "train", "--data", path, "--out", dir, "--batch", "1", "--steps", "1");
        Assert.False(Directory.Exists(dir), "nothing may be written for bad input");
        string one = Text("one.txt", "a");
        AssertUsageError("one.txt: 1 token, and scoring needs at least 2", "lm", "train", "--data", Text("ok.txt", string.Concat(Enumerable.Repeat("some text. ", 20))),
            "--valid", one, "--out", dir, "--batch", "1", "--steps", "1");
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void EvalAndCalibrate_TextOfOneToken_ExitTwoNamingIt()
    {
        string path = OkText();
        string dir = Path.Combine(_root, "run");
        TrainTiny(path, dir, 2);
        string one = Text("one.txt", "s");
        // Before: plain evaluation printed NaN and exited 0; dynamic evaluation gathered its statistics first.
        AssertUsageError("one.txt: 1 token, and scoring needs at least 2", "lm", "eval", "--model", dir, "--data", one);
        AssertUsageError("one.txt: 1 token", "lm", "eval", "--model", dir, "--data", one, "--dynamic");
        AssertUsageError("one.txt: 1 token(s); the RMS gradients need at least 3", "lm", "eval", "--model", dir, "--data", path, "--dynamic", "--dynamic-stats", one);
        byte[] model = File.ReadAllBytes(Path.Combine(dir, "model.safetensors"));
        AssertUsageError("one.txt: 1 token", "lm", "calibrate", "--model", dir, "--data", one);
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Theory]
    [InlineData("--lr", "-1", "--lr")]
    [InlineData("--lr", "fast", "--lr")]
    [InlineData("--cell", "banana", "--cell")]
    [InlineData("--steps", "0", "--steps")]
    [InlineData("--dropout", "1.5", "--dropout")]
    [InlineData("--embedding-dropout", "-0.1", "--embedding-dropout")]
    [InlineData("--bptt-back", "3", "--bptt-back")]
    [InlineData("--init", "xavier", "--init")]
    public void Train_BadOptionValue_ExitsTwoNamingTheOption(string option, string value, string named)
    {
        string path = OkText();
        AssertUsageError(named, "lm", "train", "--data", path, "--out", Path.Combine(_root, "r"), option, value);
    }

    [Fact]
    public void Train_ExistingRunFolder_IsNeverOverwritten()
    {
        string path = OkText();
        string dir = Path.Combine(_root, "run");
        TrainTiny(path, dir, 5);
        byte[] config = File.ReadAllBytes(Path.Combine(dir, "config.json"));
        AssertUsageError("--resume", "lm", "train", "--data", path, "--out", dir, "--steps", "5");
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(dir, "config.json")));
    }

    [Fact]
    public void Train_LayerNormalisedLstm_SavesTheCellAndItsGains_AndSamplesAndEvaluates()
    {
        string path = Text("corpus.txt", string.Concat(Enumerable.Repeat(Tasks.LanguageModelTrainingTests.Corpus, 20)));
        string dir = Path.Combine(_root, "ln");
        var (code, _, error) = Run("lm", "train", "--data", path, "--out", dir, "--cell", "ln-lstm", "--steps", "20", "--eval-every", "10",
            "--hidden", "16", "--embed", "8", "--batch", "4", "--bptt", "16", "--layers", "2");
        Assert.True(code == 0, error);
        Assert.Contains("\"cell\": \"ln-lstm\"", File.ReadAllText(Path.Combine(dir, "config.json")));
        var names = Recurrent.Interop.SafeTensors.Read(Path.Combine(dir, "model.safetensors")).Names;
        foreach (string name in new[] { "rnn.ln_weight_ih_l1", "rnn.ln_weight_hh_l0", "rnn.ln_weight_c_l1", "rnn.ln_bias_c_l0" })
            Assert.Contains(name, names);
        var (sampleCode, sample, sampleError) = Run("lm", "sample", "--model", dir, "--length", "40", "--seed", "3");
        Assert.True(sampleCode == 0, sampleError);
        Assert.False(string.IsNullOrWhiteSpace(sample));
        var (evalCode, json, evalError) = Run("lm", "eval", "--model", dir, "--data", path, "--json");
        Assert.True(evalCode == 0, evalError);
        using var result = JsonDocument.Parse(json);
        Assert.True(result.RootElement.GetProperty("bpc").GetDouble() is > 0 and < 8);
    }

    [Fact]
    public void Train_WithAValidFile_CountsOnlyTheTrainingTextInItsNGramModel()
    {
        // A --valid file is the user's held-out text, perhaps scored later: the n-gram model must not have read it.
        string path = Text("train.txt", string.Concat(Enumerable.Repeat("some text to train on. ", 200)));
        string valid = Text("valid.txt", string.Concat(Enumerable.Repeat("other text to check. ", 40)));
        string dir = Path.Combine(_root, "run");
        var (code, output, error) = Run("lm", "train", "--data", path, "--valid", valid, "--out", dir, "--steps", "5", "--eval-every", "5",
            "--hidden", "16", "--embed", "8", "--batch", "4", "--bptt", "16");
        Assert.True(code == 0, error);
        Assert.Equal(File.ReadAllText(path), File.ReadAllText(Path.Combine(dir, "ngram.txt")));
        Assert.DoesNotContain("validation tail counted", output);
    }

    [Fact]
    public void TrainSampleEval_EndToEnd_WritesTheRunFolderAndJson()
    {
        string path = Text("corpus.txt", string.Concat(Enumerable.Repeat(Tasks.LanguageModelTrainingTests.Corpus, 20)));
        string dir = Path.Combine(_root, "run");
        var (code, _, error) = Run("lm", "train", "--data", path, "--out", dir, "--steps", "30", "--eval-every", "15", "--hidden", "32", "--embed", "16", "--batch", "8", "--bptt", "32");
        Assert.True(code == 0, error);
        foreach (string file in new[] { "config.json", "model.safetensors", "trainer.json", "metrics.jsonl", "loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing from the run folder");

        // Training ends by fitting a softmax temperature to the validation text (the tail of --data) and folding it
        // into the decoder: the same run with --no-calibrate, calibrated afterwards on that tail, gives the same bytes.
        string plain = Path.Combine(_root, "plain");
        var (plainCode, _, plainError) = Run("lm", "train", "--data", path, "--out", plain, "--steps", "30", "--eval-every", "15", "--hidden", "32", "--embed", "16",
            "--batch", "8", "--bptt", "32", "--no-calibrate");
        Assert.True(plainCode == 0, plainError);
        Assert.DoesNotContain("calibration", File.ReadAllText(Path.Combine(plain, "config.json")));
        string corpus = File.ReadAllText(path);
        string tail = Text("valid.txt", corpus[LmTrainCommand.TailCut(corpus, 0.05)..]);
        var (calibrateCode, calibrateJson, calibrateError) = Run("lm", "calibrate", "--model", plain, "--data", tail, "--json");
        Assert.True(calibrateCode == 0, calibrateError);
        using (var calibrated = JsonDocument.Parse(calibrateJson))
        {
            foreach (string field in new[] { "temperature", "tokens", "loss_before", "loss_after", "bpc_before", "bpc_after" })
                Assert.True(calibrated.RootElement.TryGetProperty(field, out _), $"calibrate --json lacks '{field}'");
            double temperature = calibrated.RootElement.GetProperty("temperature").GetDouble();
            Assert.NotEqual(1.0, temperature);   // this model is over-confident on the tail; else the test shows nothing
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
            Assert.Equal(temperature, config.RootElement.GetProperty("calibration").GetProperty("temperature").GetDouble(), 6);
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(plain, "model.safetensors")), File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Contains("(calibrated, folded into the decoder)", Run("info", dir).Out);
        using (var again = JsonDocument.Parse(Run("lm", "calibrate", "--model", dir, "--data", tail, "--json").Out))
            Assert.Equal(1.0, again.RootElement.GetProperty("temperature").GetDouble());
        AssertUsageError("nope", "lm", "calibrate", "--model", Path.Combine(_root, "nope"), "--data", path);
        AssertUsageError("missing.txt", "lm", "calibrate", "--model", dir, "--data", Path.Combine(_root, "missing.txt"));

        var (sampleCode, sample, sampleError) = Run("lm", "sample", "--model", dir, "--length", "40", "--seed", "3", "--prime", "the ");
        Assert.True(sampleCode == 0, sampleError);
        Assert.StartsWith("the ", sample);
        Assert.Equal(sample, Run("lm", "sample", "--model", dir, "--length", "40", "--seed", "3", "--prime", "the ").Out);

        var (evalCode, json, evalError) = Run("lm", "eval", "--model", dir, "--data", path, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        foreach (string field in new[] { "loss", "bpc", "perplexity", "tokens", "unknown" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), $"eval --json lacks '{field}'");
        double loss = doc.RootElement.GetProperty("loss").GetDouble();
        Assert.Equal(loss / Math.Log(2), doc.RootElement.GetProperty("bpc").GetDouble(), 4);

        // Training also counted an n-gram model on its training text (ngram.txt) and fitted its weight in the
        // mixture to the validation text; --no-ngram scores the network alone, as an exported graph does.
        // Its weight was fitted with the training part counted; the saved model counts the validation tail too, so
        // ngram.txt is the whole of --data.
        Assert.True(File.Exists(Path.Combine(dir, "ngram.txt")), "ngram.txt missing from the run folder");
        Assert.Equal(File.ReadAllText(path), File.ReadAllText(Path.Combine(dir, "ngram.txt")));
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))))
        {
            JsonElement ngram = config.RootElement.GetProperty("ngram");
            Assert.Equal(8, ngram.GetProperty("order").GetInt32());
            Assert.Equal(File.ReadAllText(path).Length, ngram.GetProperty("tokens").GetInt64());
            Assert.Equal(ngram.GetProperty("weight").GetDouble(), doc.RootElement.GetProperty("ngram_weight").GetDouble());
            // A character model's mixture is a product fitted on top of the linear one; eval reports its exponents.
            JsonElement product = ngram.GetProperty("product");
            double[] reported = doc.RootElement.GetProperty("ngram_product").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal([product.GetProperty("network").GetDouble(), product.GetProperty("ngram").GetDouble(), product.GetProperty("linear").GetDouble()], reported);
        }
        Assert.Contains("n-gram mixture", Run("info", dir).Out);
        var (aloneCode, aloneJson, aloneError) = Run("lm", "eval", "--model", dir, "--data", path, "--json", "--no-ngram");
        Assert.True(aloneCode == 0, aloneError);
        using (var alone = JsonDocument.Parse(aloneJson))
        {
            Assert.Equal(JsonValueKind.Null, alone.RootElement.GetProperty("ngram_weight").ValueKind);
            Assert.NotEqual(loss, alone.RootElement.GetProperty("loss").GetDouble());
        }
        Assert.NotEqual(sample, Run("lm", "sample", "--model", dir, "--length", "40", "--seed", "3", "--prime", "the ", "--no-ngram").Out);

        // --precision scores through the token-by-token path with reduced-precision weights: close to float32.
        double aloneBpc = JsonDocument.Parse(aloneJson).RootElement.GetProperty("bpc").GetDouble();
        foreach (string precision in new[] { "fp32", "bf16", "int8" })
        {
            var (precisionCode, precisionJson, precisionError) = Run("lm", "eval", "--model", dir, "--data", path, "--json", "--no-ngram", "--precision", precision);
            Assert.True(precisionCode == 0, precisionError);
            Assert.Equal(aloneBpc, JsonDocument.Parse(precisionJson).RootElement.GetProperty("bpc").GetDouble(), 0.01);
            var (sampleCodeP, sampleP, sampleErrorP) = Run("lm", "sample", "--model", dir, "--length", "40", "--seed", "3", "--prime", "the ", "--precision", precision);
            Assert.True(sampleCodeP == 0, sampleErrorP);
            Assert.StartsWith("the ", sampleP);
        }
        AssertUsageError("--precision must be fp32, bf16 or int8", "lm", "eval", "--model", dir, "--data", path, "--precision", "fp16");

        string shortText = Text("short.txt", string.Concat(Enumerable.Repeat(Tasks.LanguageModelTrainingTests.Corpus, 20))[..300]);
        // The network alone: on this repetitive corpus the n-gram model takes nearly all the weight of the mixture.
        var (dynamicCode, dynamicJson, dynamicError) = Run("lm", "eval", "--model", dir, "--data", shortText, "--json", "--dynamic", "--dynamic-segment", "20", "--no-ngram");
        Assert.True(dynamicCode == 0, dynamicError);
        using var dynamicDoc = JsonDocument.Parse(dynamicJson);
        Assert.True(dynamicDoc.RootElement.GetProperty("bpc").GetDouble() > 0);
        AssertUsageError("--dynamic-segment", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic", "--dynamic-segment", "0");
        AssertUsageError("add --dynamic", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic-lr", "0.1");
        var (sgdCode, sgdJson, sgdError) = Run("lm", "eval", "--model", dir, "--data", shortText, "--json", "--dynamic", "--dynamic-rule", "sgd", "--dynamic-segment", "20", "--no-ngram");
        Assert.True(sgdCode == 0, sgdError);
        Assert.NotEqual(dynamicJson, sgdJson);
        AssertUsageError("--dynamic-rule", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic", "--dynamic-rule", "adam");
        AssertUsageError("rms rule only", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic", "--dynamic-rule", "sgd", "--dynamic-stats", path);
        AssertUsageError("--dynamic-epsilon", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic", "--dynamic-epsilon", "0");
        // The training text is gone: the rms rule says where to point it instead of failing obscurely.
        string moved = path + ".moved";
        File.Move(path, moved);
        AssertUsageError("--dynamic-stats", "lm", "eval", "--model", dir, "--data", shortText, "--dynamic");
        var (statsCode, statsJson, statsError) = Run("lm", "eval", "--model", dir, "--data", shortText, "--json", "--dynamic", "--dynamic-segment", "20", "--dynamic-stats", moved, "--no-ngram");
        Assert.True(statsCode == 0, statsError);
        Assert.Equal(dynamicJson, statsJson);
    }

    [Fact]
    public void Train_ModelDefaults_GrowWithTheTimeBudget()
    {
        Assert.Equal(LmTrainCommand.ModelDefaults.Short, LmTrainCommand.ModelDefaults.For(LmTrainCommand.Defaults));
        var thirty = new Recurrent.Training.TrainOptions(minutes: 30);
        Assert.Equal(LmTrainCommand.ModelDefaults.Long, LmTrainCommand.ModelDefaults.For(thirty));
        Assert.Equal(LmTrainCommand.ModelDefaults.Short, LmTrainCommand.ModelDefaults.For(new Recurrent.Training.TrainOptions(steps: 100000)));
        Assert.Equal(2, LmTrainCommand.ModelDefaults.Long.Layers);
        Assert.True(LmTrainCommand.ModelDefaults.Long.Dropout > LmTrainCommand.ModelDefaults.Short.Dropout);
        Assert.Equal((Recurrent.Training.OptimizerKind.Adam, 0f), (LmTrainCommand.ModelDefaults.Short.Optimizer, LmTrainCommand.ModelDefaults.Short.WeightDecay));
        Assert.Equal((Recurrent.Training.OptimizerKind.AdamW, 0.1f), (LmTrainCommand.ModelDefaults.Long.Optimizer, LmTrainCommand.ModelDefaults.Long.WeightDecay));
        Assert.Equal(LmTrainCommand.Defaults, LmTrainCommand.DefaultsWith(Recurrent.Training.OptimizerKind.Adam, 0f));
        Assert.Equal(("lstm", "ln-lstm"), (LmTrainCommand.ModelDefaults.Short.Cell, LmTrainCommand.ModelDefaults.Long.Cell));
    }

    [Fact]
    public void NGram_OptionsAndAMissingMemory_AreClearErrors()
    {
        string path = Text("corpus.txt", string.Concat(Enumerable.Repeat(Tasks.LanguageModelTrainingTests.Corpus, 20)));
        AssertUsageError("--ngram-order", "lm", "train", "--data", path, "--out", Path.Combine(_root, "bad"), "--ngram-order", "17");
        Assert.False(Directory.Exists(Path.Combine(_root, "bad")));
        string dir = Path.Combine(_root, "plain");
        var (code, _, error) = Run("lm", "train", "--data", path, "--out", dir, "--steps", "4", "--eval-every", "4", "--hidden", "16", "--embed", "8",
            "--batch", "4", "--bptt", "16", "--ngram-order", "0");
        Assert.True(code == 0, error);
        Assert.False(File.Exists(Path.Combine(dir, "ngram.txt")));
        using (var alone = JsonDocument.Parse(Run("lm", "eval", "--model", dir, "--data", path, "--json").Out))
            Assert.Equal(JsonValueKind.Null, alone.RootElement.GetProperty("ngram_weight").ValueKind);

        // An n-gram model added afterwards: counted on the training text, weighted on held-out text.
        string heldOut = Text("held-out.txt", Tasks.LanguageModelTrainingTests.Corpus);
        AssertUsageError("--ngram-text", "lm", "calibrate", "--model", dir, "--data", heldOut, "--ngram-order", "3");
        AssertUsageError("--ngram-order", "lm", "calibrate", "--model", dir, "--data", heldOut, "--ngram-text", path, "--ngram-order", "0");
        AssertUsageError("missing.txt", "lm", "calibrate", "--model", dir, "--data", heldOut, "--ngram-text", Path.Combine(_root, "missing.txt"));
        var (calibrateCode, calibrateJson, calibrateError) = Run("lm", "calibrate", "--model", dir, "--data", heldOut, "--ngram-text", path, "--ngram-order", "5", "--json");
        Assert.True(calibrateCode == 0, calibrateError);
        using (var calibrated = JsonDocument.Parse(calibrateJson))
        {
            double weight = calibrated.RootElement.GetProperty("ngram_weight").GetDouble();
            Assert.InRange(weight, 1e-6, 1);
            Assert.True(calibrated.RootElement.GetProperty("bpc_ngram").GetDouble() < calibrated.RootElement.GetProperty("bpc_after").GetDouble());
            using var eval = JsonDocument.Parse(Run("lm", "eval", "--model", dir, "--data", heldOut, "--json").Out);
            Assert.Equal(weight, eval.RootElement.GetProperty("ngram_weight").GetDouble());
            Assert.Equal(calibrated.RootElement.GetProperty("loss_ngram").GetDouble(), eval.RootElement.GetProperty("loss").GetDouble(), 4);
        }
        Assert.Equal(File.ReadAllText(path), File.ReadAllText(Path.Combine(dir, "ngram.txt")));

        // The memory file is gone: loading says which file and what to do, for every command.
        File.Delete(Path.Combine(dir, "ngram.txt"));
        AssertUsageError("ngram.txt", "lm", "eval", "--model", dir, "--data", heldOut);
        AssertUsageError("ngram.txt", "lm", "sample", "--model", dir);
    }

    [Fact]
    public void Sample_MissingModelFolder_ExitsTwo() => AssertUsageError("model folder not found", "lm", "sample", "--model", "/no/such/model");
}
