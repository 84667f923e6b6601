// rnn export onnx, rnn import pytorch and rnn info, end to end in-process: files written, exit codes,
// and the messages for missing folders, damaged configs and weights that do not match.
using System.Text;
using System.Text.Json;
using Recurrent.Interop;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tests.Interop;
using Recurrent.Tests.Onnx;
using Recurrent.Training;

namespace Recurrent.Tests.Cli;

public sealed class InteropCliTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string SaveClassifier(string name)
    {
        Classifier classifier = OnnxModels.Classifier(CellKind.Lstm, 2, true, Pooling.Attention, seed: 5);
        string dir = _folder.File(name);
        Directory.CreateDirectory(dir);
        RunFiles.WriteJsonAtomic(Path.Combine(dir, RunFiles.Config), classifier.Config.ToJson());
        SafeTensors.Write(Path.Combine(dir, RunFiles.Model), classifier.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
        return dir;
    }

    private string SaveLanguageModel(string name, CellKind cell = CellKind.Lstm)
    {
        var lm = OnnxModels.LanguageModel(cell, 2, seed: 6);
        string dir = _folder.File(name);
        Directory.CreateDirectory(dir);
        RunFiles.WriteJsonAtomic(Path.Combine(dir, RunFiles.Config), lm.Config.ToJson());
        SafeTensors.Write(Path.Combine(dir, RunFiles.Model), lm.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
        return dir;
    }

    [Theory]
    [InlineData("sequence", "tokens")]
    [InlineData("step", "token")]
    public void ExportOnnx_LanguageModel_WritesAModelOnnxRuntimeLoads(string graph, string tokenInput)
    {
        string dir = SaveLanguageModel("lm"), output = _folder.File("lm.onnx");

        var (code, stdout, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", output, "--graph", graph);

        Assert.True(code == 0, stderr);
        Assert.Contains("inputs " + tokenInput + ", h0, c0; outputs logits, h_n, c_n", stdout);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output);
        Assert.Equal([tokenInput, "h0", "c0"], session.InputMetadata.Keys.ToArray());
        Assert.Equal("lm", session.ModelMetadata.CustomMetadataMap["task"]);
        Assert.Equal(["lm", "lm.onnx"], _folder.Entries());
    }

    [Fact]
    public void ExportOnnx_Classifier_WritesLabelsAndVocabularyAsMetadata()
    {
        string dir = SaveClassifier("cls"), output = _folder.File("cls.onnx");

        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", output);

        Assert.True(code == 0, stderr);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output);
        Assert.Equal(["tokens", "lengths"], session.InputMetadata.Keys.ToArray());
        Assert.Equal(["logits", "probabilities"], session.OutputMetadata.Keys.ToArray());
        Assert.Equal("""["x","y","z"]""", session.ModelMetadata.CustomMetadataMap["labels"]);
    }

    [Fact]
    public void ExportOnnx_LayerNormalisedLstm_Exits2NamingTheCell_AndWritesNothing()
    {
        string dir = SaveLanguageModel("ln", CellKind.LayerNormLstm), output = _folder.File("ln.onnx");

        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", output);

        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(dir, "config.json") + ": cell 'ln-lstm' (layer-normalised LSTM) cannot be exported to ONNX", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal(["ln"], _folder.Entries());
    }

    [Fact]
    public void ExportOnnx_OutIsAFolder_Exits2NamingIt()
    {
        string dir = SaveClassifier("cls"), output = _folder.File("out");
        Directory.CreateDirectory(output);

        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", output);

        Assert.Equal(2, code);
        Assert.Contains(output + ": is a folder; give the path of a file to write", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
        Assert.Equal(["cls", "out"], _folder.Entries());
    }

    [Fact]
    public void ExportOnnx_MissingFolder_Exits2AndWritesNothing()
    {
        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", _folder.File("absent"), "--out", _folder.File("x.onnx"));

        Assert.Equal(2, code);
        Assert.Contains("absent: model folder not found", stderr);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void ExportOnnx_FolderWithoutWeightsOrWithDamagedConfig_Exits2()
    {
        string dir = SaveClassifier("cls");
        File.Delete(Path.Combine(dir, RunFiles.Model));
        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("model.safetensors: file not found", stderr);

        File.WriteAllText(Path.Combine(dir, RunFiles.Config), "{\"task\": \"classify\", ");
        (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("config.json: not valid JSON", stderr);

        File.WriteAllText(Path.Combine(dir, RunFiles.Config), "{\"task\": \"tag\"}");
        (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("task 'tag' cannot be exported to ONNX", stderr);
        Assert.False(File.Exists(_folder.File("x.onnx")));
    }

    [Fact]
    public void ExportOnnx_OutputFolderMissing_Exits2NamingIt()
    {
        string dir = SaveClassifier("cls");
        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("no/such/x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist; create it first", stderr);
    }

    [Fact]
    public void ExportOnnx_OverAnExistingFile_ReplacesItAndLeavesNoTemporaryFile()
    {
        string dir = SaveClassifier("cls"), output = _folder.File("cls.onnx");
        File.WriteAllText(output, "old");
        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", output);
        Assert.True(code == 0, stderr);
        Assert.True(new FileInfo(output).Length > 1000);
        Assert.Equal(["cls", "cls.onnx"], _folder.Entries());
    }

    private string SaveSeq2Seq(string name)
    {
        var model = Seq2SeqOnnxTests.Model(CellKind.Lstm, AttentionKind.Bahdanau, reverseSource: true, seed: 7);
        string dir = _folder.File(name);
        Directory.CreateDirectory(dir);
        RunFiles.WriteJsonAtomic(Path.Combine(dir, RunFiles.Config), model.Config.ToJson());
        SafeTensors.Write(Path.Combine(dir, RunFiles.Model), model.Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
        return dir;
    }

    [Fact]
    public void ExportOnnx_Seq2Seq_WritesEncoderAndDecoderGraphs_AndNeedsTheGraphNamed()
    {
        string dir = SaveSeq2Seq("s2s");

        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("x.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("pick one with --graph encoder or --graph decoder", stderr);

        (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("encoder.onnx"), "--graph", "encoder");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("decoder.onnx"), "--graph", "decoder");
        Assert.True(code == 0, stderr);
        using var encoder = new Microsoft.ML.OnnxRuntime.InferenceSession(_folder.File("encoder.onnx"));
        using var decoder = new Microsoft.ML.OnnxRuntime.InferenceSession(_folder.File("decoder.onnx"));
        Assert.Equal(["memory", "keys", "h", "c", "feed"], encoder.OutputMetadata.Keys.ToArray());
        Assert.Equal(["previous", "h", "c", "feed", "memory", "keys", "source_lengths"], decoder.InputMetadata.Keys.ToArray());
        Assert.Equal("true", decoder.ModelMetadata.CustomMetadataMap["reverse_source"]);

        (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", dir, "--out", _folder.File("y.onnx"), "--graph", "step");
        Assert.Equal(2, code);
        Assert.Contains("--graph step does not apply to a 'seq2seq' model; expected encoder or decoder", stderr);
    }

    [Fact]
    public void Info_Seq2Seq_DescribesEncoderDecoderAndAttention()
    {
        var (code, stdout, stderr) = CliRun.Invoke("info", SaveSeq2Seq("s2s"));
        Assert.True(code == 0, stderr);
        Assert.Contains("bahdanau (size 6)", stdout);
        Assert.Contains("decoder.attention.v.weight", stdout);
    }

    [Fact]
    public void ExportOnnx_UnknownGraph_Exits2()
    {
        var (code, _, stderr) = CliRun.Invoke("export", "onnx", "--model", "m", "--out", "x.onnx", "--graph", "all");
        Assert.Equal(2, code);
        Assert.Contains("all", stderr);
    }

    /// <summary>A safetensors file with every parameter stored as BF16 (the upper 16 bits of each float), as torch would save a bf16 model.</summary>
    private static byte[] Bf16File(IReadOnlyList<NamedParameter> parameters, Func<string, string>? rename = null)
    {
        var header = new StringBuilder("{");
        var data = new List<byte>();
        foreach (var (name, parameter) in parameters)
        {
            int begin = data.Count;
            foreach (float v in parameter.Value.Span)
                data.AddRange(SafeTensorsBytes.U16((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)));
            if (header.Length > 1) header.Append(',');
            header.Append($"\"{(rename ?? (n => n))(name)}\":{{\"dtype\":\"BF16\",\"shape\":[{string.Join(',', parameter.Value.Shape.ToArray())}],\"data_offsets\":[{begin},{data.Count}]}}");
        }
        return SafeTensorsBytes.File(header.Append('}').ToString(), [.. data]);
    }

    [Fact]
    public void ImportPytorch_Bf16Weights_BuildsAFolderThatLoadsWithTheConvertedValues()
    {
        string source = SaveClassifier("source");
        var original = ModelFolder.Load(source).Network.NamedParameters();
        File.WriteAllBytes(_folder.File("bf16.safetensors"), Bf16File(original));
        string output = _folder.File("imported");

        var (code, stdout, stderr) = CliRun.Invoke("import", "pytorch", "--weights", _folder.File("bf16.safetensors"), "--config", Path.Combine(source, RunFiles.Config), "--out", output);

        Assert.True(code == 0, stderr);
        Assert.Contains("classify model", stdout);
        var imported = ModelFolder.Load(output).Network.NamedParameters();
        Assert.Equal(original.Select(p => p.Name), imported.Select(p => p.Name));
        for (int i = 0; i < original.Count; i++)
        {
            float[] expected = original[i].Parameter.Value.Span.ToArray().Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)).ToArray();
            Assert.Equal(expected, imported[i].Parameter.Value.Span.ToArray());
        }
        Assert.Equal(["x", "y", "z"], Classifier.Load(output).Config.Labels);
    }

    [Fact]
    public void ImportPytorch_MissingUnexpectedAndMisShapedTensors_AreAllListedAndNothingIsWritten()
    {
        string source = SaveClassifier("source");
        var parameters = ModelFolder.Load(source).Network.NamedParameters()
            .Where(p => p.Name != "rnn.bias_hh_l1_reverse").ToList();
        File.WriteAllBytes(_folder.File("bad.safetensors"), Bf16File(parameters, n => n == "classifier.bias" ? "fc.bias" : n));
        string config = File.ReadAllText(Path.Combine(source, RunFiles.Config)).Replace("\"embedding_size\": 5", "\"embedding_size\": 6");
        File.WriteAllText(_folder.File("config.json"), config);

        var (code, _, stderr) = CliRun.Invoke("import", "pytorch", "--weights", _folder.File("bad.safetensors"), "--config", _folder.File("config.json"), "--out", _folder.File("out"));

        Assert.Equal(2, code);
        Assert.Contains("missing 2 tensor(s): rnn.bias_hh_l1_reverse, classifier.bias", stderr);
        Assert.Contains("unexpected 1 tensor(s): fc.bias", stderr);
        Assert.Contains("embedding.weight is [9, 5] in the file but", stderr);
        Assert.Contains("needs [9, 6]", stderr);
        Assert.False(Directory.Exists(_folder.File("out")));
    }

    [Fact]
    public void ImportPytorch_MissingWeightsFile_Exits2()
    {
        string source = SaveClassifier("source");
        var (code, _, stderr) = CliRun.Invoke("import", "pytorch", "--weights", _folder.File("none.safetensors"), "--config", Path.Combine(source, RunFiles.Config), "--out", _folder.File("out"));
        Assert.Equal(2, code);
        Assert.Contains("none.safetensors: file not found", stderr);
    }

    [Fact]
    public void Info_Classifier_ListsConfigParametersAndTotal()
    {
        string dir = SaveClassifier("cls");
        var network = ModelFolder.Load(dir).Network.NamedParameters();
        long total = network.Sum(p => (long)p.Parameter.Value.Length);

        var (code, stdout, stderr) = CliRun.Invoke("info", dir);
        Assert.True(code == 0, stderr);
        Assert.Contains("pooling", stdout);
        Assert.Contains("rnn.weight_hh_l1_reverse", stdout);
        Assert.Contains("[16, 4]", stdout);
        Assert.Contains(total.ToString("N0"), stdout);

        (code, stdout, _) = CliRun.Invoke("info", dir, "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal("classify", doc.RootElement.GetProperty("task").GetString());
        Assert.Equal(total, doc.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(network.Count, doc.RootElement.GetProperty("parameters").GetArrayLength());
    }

    [Fact]
    public void Info_MissingFolder_Exits2()
    {
        var (code, _, stderr) = CliRun.Invoke("info", _folder.File("absent"));
        Assert.Equal(2, code);
        Assert.Contains("model folder not found", stderr);
    }
}
