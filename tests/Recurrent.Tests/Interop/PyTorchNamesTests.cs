// Our networks' parameter names and shapes against the state_dict() of the PyTorch module trees that
// docs/interop.md defines, as libtorch builds them (tools/Recurrent.Fixtures writes Fixtures/pytorch/state_dicts.json through
// TorchSharp). Equal lists mean safetensors.torch.load_file + load_state_dict(strict=True) accepts our files
// and `rnn import pytorch` accepts theirs.
using System.Text.Json;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;
using Recurrent.Tests.Oracle;

namespace Recurrent.Tests.Interop;

public sealed class PyTorchNamesTests
{
    private static JsonElement[] Models()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(OracleFixture.FixturesFolder(), "pytorch", "state_dicts.json")));
        return doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.Clone()).ToArray();
    }

    public static TheoryData<int> ModelIndices() => new(Enumerable.Range(0, Models().Length));

    private static IModule Build(JsonElement c)
    {
        CellKind cell = LanguageModelConfig.ParseCell(c.GetProperty("cell").GetString()!, "state_dicts.json");
        int v = c.GetProperty("vocab_size").GetInt32(), e = c.GetProperty("embedding_size").GetInt32();
        int h = c.GetProperty("hidden_size").GetInt32(), l = c.GetProperty("layers").GetInt32();
        string task = c.GetProperty("task").GetString()!;
        if (task == "lm")
            return new LanguageModelNetwork(new LanguageModelShape(v, cell, e, h, l, 0f), new Rng(1));
        if (task == "seq2seq")
            return new Seq2SeqNetwork(new Seq2SeqShape(v, c.GetProperty("target_vocab_size").GetInt32(), cell, e, h, l, c.GetProperty("bidirectional").GetBoolean(),
                c.GetProperty("decoder_hidden").GetInt32(), c.GetProperty("decoder_layers").GetInt32(), Seq2SeqConfig.ParseAttention(c.GetProperty("attention").GetString()!),
                c.GetProperty("attention_size").GetInt32(), 0f, false), new Rng(1));
        var shape = new ClassifierShape(v, c.GetProperty("classes").GetInt32(), cell, e, h, l, c.GetProperty("bidirectional").GetBoolean(), 0f,
            ClassificationConfig.ParsePooling(c.GetProperty("pooling").GetString()!));
        return new ClassifierNetwork(shape, new Rng(1));
    }

    [Theory]
    [MemberData(nameof(ModelIndices))]
    public void Network_NamesAndShapes_EqualTheTorchModulesStateDict(int index)
    {
        JsonElement model = Models()[index];
        var torch = model.GetProperty("state_dict").EnumerateArray()
            .Select(p => $"{p.GetProperty("name").GetString()} [{string.Join(", ", p.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}]")
            .ToArray();

        var ours = Build(model.GetProperty("config")).NamedParameters().Select(p => $"{p.Name} {p.Parameter.Value.ShapeText}").ToArray();

        Assert.Equal(torch.Order(StringComparer.Ordinal), ours.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Fixture_CoversEveryTaskPoolingAndAttention()
    {
        var configs = Models().Select(m => m.GetProperty("config")).ToArray();
        Assert.Contains(configs, c => c.GetProperty("task").GetString() == "lm");
        foreach (string attention in new[] { "none", "bahdanau", "luong-dot", "luong-general" })
            Assert.Contains(configs, c => c.GetProperty("attention").ValueKind == JsonValueKind.String && c.GetProperty("attention").GetString() == attention);
        foreach (string pooling in new[] { "last", "mean", "max", "attention" })
            Assert.Contains(configs, c => c.GetProperty("pooling").ValueKind == JsonValueKind.String && c.GetProperty("pooling").GetString() == pooling);
    }
}
