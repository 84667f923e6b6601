// The state_dict names and shapes of the PyTorch modules that docs/interop.md defines for each task, built as
// TorchSharp module trees with the same attribute names (TorchSharp names a registered field exactly as
// PyTorch names an attribute). The tests build our networks from each config and compare the parameter
// names and shapes with these lists, so the interop guide's claim is checked against libtorch.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Recurrent.Fixtures;

internal static class StateDictFixtures
{
    /// <summary>In a subfolder, apart from the tensor fixtures (a different format).</summary>
    public const string FileName = "pytorch/state_dicts.json";

    private sealed record Spec(string Task, string Cell, int Vocabulary, int Embedding, int Hidden, int Layers, bool Bidirectional, string? Pooling, int Classes,
        int TargetVocabulary = 0, int DecoderHidden = 0, int DecoderLayers = 0, string? Attention = null, int AttentionSize = 0);

    private static readonly Spec[] Specs =
    [
        new("lm", "rnn", 11, 5, 4, 2, false, null, 0),
        new("lm", "lstm", 11, 5, 4, 2, false, null, 0),
        new("lm", "gru", 11, 5, 4, 3, false, null, 0),
        new("classify", "lstm", 13, 6, 4, 2, true, "attention", 3),
        new("classify", "gru", 13, 6, 4, 1, false, "last", 2),
        new("classify", "rnn", 13, 6, 4, 2, true, "mean", 4),
        new("classify", "lstm", 13, 6, 4, 1, true, "max", 3),
        new("seq2seq", "lstm", 12, 5, 4, 2, true, null, 0, 9, 6, 2, "bahdanau", 7),
        new("seq2seq", "gru", 12, 5, 4, 1, false, null, 0, 9, 6, 2, "luong-general", 7),
        new("seq2seq", "lstm", 12, 5, 4, 2, true, null, 0, 9, 8, 1, "luong-dot", 7),
        new("seq2seq", "rnn", 12, 5, 4, 1, true, null, 0, 9, 6, 1, "none", 7),
    ];

    /// <summary>nn.LSTM / nn.GRU / nn.RNN as PyTorch's constructor makes them.</summary>
    private static nn.Module Recurrent(Spec s, int input) => s.Cell switch
    {
        "lstm" => nn.LSTM(input, s.Hidden, s.Layers, bidirectional: s.Bidirectional),
        "gru" => nn.GRU(input, s.Hidden, s.Layers, bidirectional: s.Bidirectional),
        _ => nn.RNN(input, s.Hidden, s.Layers, bidirectional: s.Bidirectional),
    };

    /// <summary>class LanguageModel(nn.Module): embedding, rnn, decoder (docs/interop.md).</summary>
    private sealed class LanguageModel : nn.Module
    {
#pragma warning disable IDE0052 // registered by name through RegisterComponents, as PyTorch registers attributes
        private readonly Embedding embedding;
        private readonly nn.Module rnn;
        private readonly Linear decoder;
#pragma warning restore IDE0052

        public LanguageModel(Spec s) : base(nameof(LanguageModel))
        {
            embedding = nn.Embedding(s.Vocabulary, s.Embedding);
            rnn = Recurrent(s, s.Embedding);
            decoder = nn.Linear(s.Hidden, s.Vocabulary);
            RegisterComponents();
        }
    }

    /// <summary>class Attention(nn.Module): proj, score (bias=False).</summary>
    private sealed class Attention : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Linear proj;
        private readonly Linear score;
#pragma warning restore IDE0052

        public Attention(int size) : base(nameof(Attention))
        {
            proj = nn.Linear(size, size);
            score = nn.Linear(size, 1, hasBias: false);
            RegisterComponents();
        }
    }

    /// <summary>class Classifier(nn.Module): embedding, rnn, attention (attention pooling only), classifier.</summary>
    private sealed class Classifier : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Embedding embedding;
        private readonly nn.Module rnn;
        private readonly Attention? attention;
        private readonly Linear classifier;
#pragma warning restore IDE0052

        public Classifier(Spec s) : base(nameof(Classifier))
        {
            int pooled = (s.Bidirectional ? 2 : 1) * s.Hidden;
            embedding = nn.Embedding(s.Vocabulary, s.Embedding);
            rnn = Recurrent(s, s.Embedding);
            attention = s.Pooling == "attention" ? new Attention(pooled) : null;
            classifier = nn.Linear(pooled, s.Classes);
            RegisterComponents();
        }
    }

    /// <summary>class Encoder(nn.Module): embedding, rnn.</summary>
    private sealed class Encoder : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Embedding embedding;
        private readonly nn.Module rnn;
#pragma warning restore IDE0052

        public Encoder(Spec s) : base(nameof(Encoder))
        {
            embedding = nn.Embedding(s.Vocabulary, s.Embedding);
            rnn = Recurrent(s, s.Embedding);
            RegisterComponents();
        }
    }

    /// <summary>class Bridge(nn.Module): h, and c for LSTM.</summary>
    private sealed class Bridge : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Linear h;
        private readonly Linear? c;
#pragma warning restore IDE0052

        public Bridge(Spec s, int memory) : base(nameof(Bridge))
        {
            h = nn.Linear(memory, s.DecoderLayers * s.DecoderHidden);
            c = s.Cell == "lstm" ? nn.Linear(memory, s.DecoderLayers * s.DecoderHidden) : null;
            RegisterComponents();
        }
    }

    /// <summary>class BahdanauAttention(nn.Module): W (no bias), U, v (no bias).</summary>
    private sealed class BahdanauAttention : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Linear W;
        private readonly Linear U;
        private readonly Linear v;
#pragma warning restore IDE0052

        public BahdanauAttention(int query, int memory, int size) : base(nameof(BahdanauAttention))
        {
            W = nn.Linear(query, size, hasBias: false);
            U = nn.Linear(memory, size);
            v = nn.Linear(size, 1, hasBias: false);
            RegisterComponents();
        }
    }

    /// <summary>class LuongAttention(nn.Module): W (no bias) for "general"; "dot" has no parameters.</summary>
    private sealed class LuongAttention : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Linear? W;
#pragma warning restore IDE0052

        public LuongAttention(bool general, int query, int memory) : base(nameof(LuongAttention))
        {
            W = general ? nn.Linear(memory, query, hasBias: false) : null;
            RegisterComponents();
        }
    }

    /// <summary>class Decoder(nn.Module): embedding, rnn, attention and combine (with attention), out.</summary>
    private sealed class Decoder : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Embedding embedding;
        private readonly nn.Module rnn;
        private readonly nn.Module? attention;
        private readonly Linear? combine;
        private readonly Linear @out;
#pragma warning restore IDE0052

        public Decoder(Spec s, int memory) : base(nameof(Decoder))
        {
            int input = s.Embedding + s.Attention switch { "none" => 0, "bahdanau" => memory, _ => s.DecoderHidden };
            embedding = nn.Embedding(s.TargetVocabulary, s.Embedding);
            rnn = Recurrent(s with { Hidden = s.DecoderHidden, Layers = s.DecoderLayers, Bidirectional = false }, input);
            attention = s.Attention switch
            {
                "bahdanau" => new BahdanauAttention(s.DecoderHidden, memory, s.AttentionSize),
                "luong-general" => new LuongAttention(true, s.DecoderHidden, memory),
                "luong-dot" => new LuongAttention(false, s.DecoderHidden, memory),
                _ => null,
            };
            combine = attention is null ? null : nn.Linear(memory + s.DecoderHidden, s.DecoderHidden, hasBias: false);
            @out = nn.Linear(s.DecoderHidden, s.TargetVocabulary);
            RegisterComponents();
        }
    }

    /// <summary>class Seq2Seq(nn.Module): encoder, bridge, decoder.</summary>
    private sealed class Seq2Seq : nn.Module
    {
#pragma warning disable IDE0052
        private readonly Encoder encoder;
        private readonly Bridge bridge;
        private readonly Decoder decoder;
#pragma warning restore IDE0052

        public Seq2Seq(Spec s) : base(nameof(Seq2Seq))
        {
            int memory = (s.Bidirectional ? 2 : 1) * s.Hidden;
            encoder = new Encoder(s);
            bridge = new Bridge(s, memory);
            decoder = new Decoder(s, memory);
            RegisterComponents();
        }
    }

    /// <summary>Writes state_dicts.json; the lists hold names and shapes only, so no seed is involved.</summary>
    public static IEnumerable<string> WriteAll(string outputFolder)
    {
        var models = new JsonArray();
        foreach (Spec s in Specs)
        {
            using nn.Module module = s.Task switch { "lm" => new LanguageModel(s), "classify" => new Classifier(s), _ => new Seq2Seq(s) };
            var entries = new JsonArray();
            foreach (var (name, tensor) in module.state_dict())
                entries.Add(new JsonObject { ["name"] = name, ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()) });
            models.Add(new JsonObject
            {
                ["config"] = new JsonObject
                {
                    ["task"] = s.Task, ["cell"] = s.Cell, ["vocab_size"] = s.Vocabulary, ["embedding_size"] = s.Embedding,
                    ["hidden_size"] = s.Hidden, ["layers"] = s.Layers, ["bidirectional"] = s.Bidirectional,
                    ["pooling"] = s.Pooling, ["classes"] = s.Classes,
                    ["target_vocab_size"] = s.TargetVocabulary, ["decoder_hidden"] = s.DecoderHidden, ["decoder_layers"] = s.DecoderLayers,
                    ["attention"] = s.Attention, ["attention_size"] = s.AttentionSize,
                },
                ["state_dict"] = entries,
            });
        }
        var root = new JsonObject
        {
            ["generator"] = FixtureWriter.GeneratorName,
            ["torchsharp_version"] = Libtorch.TorchSharpVersion,
            ["torch_version"] = Libtorch.TorchVersion,
            ["models"] = models,
        };
        Directory.CreateDirectory(Path.Combine(outputFolder, "pytorch"));
        File.WriteAllText(Path.Combine(outputFolder, FileName), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", new UTF8Encoding(false));
        yield return FileName;
    }
}
