// Tiny models for the ONNX tests, our own forward passes to compare with, and ONNX Runtime runs.
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.Classification;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;
using Tensor = Recurrent.Tensors.Tensor;

namespace Recurrent.Tests.Onnx;

internal static class OnnxModels
{
    public const int Vocabulary = 9, Embed = 5, Hidden = 4;

    public static readonly CellKind[] Cells = [CellKind.RnnTanh, CellKind.RnnRelu, CellKind.Lstm, CellKind.Gru, CellKind.GruOriginal];

    public static Recurrent.Data.Vocabulary Vocab() => Recurrent.Data.Vocabulary.FromTokens(["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d", "e"]);

    public static LanguageModel LanguageModel(CellKind cell, int layers, int seed)
    {
        var shape = new LanguageModelShape(Vocabulary, cell, Embed, Hidden, layers, 0f);
        return new LanguageModel(new LanguageModelConfig(TokenizerKind.Character, Vocab(), shape), new LanguageModelNetwork(shape, new Rng((ulong)seed)));
    }

    public static Classifier Classifier(CellKind cell, int layers, bool bidirectional, Pooling pooling, int seed)
    {
        var shape = new ClassifierShape(Vocabulary, 3, cell, Embed, Hidden, layers, bidirectional, 0f, pooling);
        var config = new ClassificationConfig(TokenizerKind.Word, false, Vocab(), ["x", "y", "z"], 16, Truncation.Head, shape);
        return new Classifier(config, new ClassifierNetwork(shape, new Rng((ulong)seed)));
    }

    public static long[] Tokens(int count, int seed, int[]? lengths = null, int steps = 0)
    {
        var random = new Random(seed);
        var tokens = new long[count];
        for (int i = 0; i < count; i++) tokens[i] = random.Next(1, Vocabulary);
        if (lengths is not null)
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < lengths.Length; b++)
                    if (t >= lengths[b]) tokens[t * lengths.Length + b] = 0;
        return tokens;
    }

    public static float[] Normal(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>Our forward pass in eval mode: logits [T·B, V] and the final state.</summary>
    public static (float[] Logits, float[] H, float[]? C) Forward(LanguageModelNetwork network, long[] tokens, int steps, int batch, float[] h0, float[]? c0)
    {
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        int l = network.Shape.Layers, h = network.Shape.HiddenSize;
        var state = new RecurrentState(Tape.Constant(Tensor.FromArray((float[])h0.Clone(), l, batch, h)),
            c0 is null ? null : Tape.Constant(Tensor.FromArray((float[])c0.Clone(), l, batch, h)));
        int[] ids = tokens.Select(t => (int)t).ToArray();
        var (logits, final) = network.Forward(tape, ids, steps, batch, state, null);
        return (logits.Value.Span.ToArray(), final.H.Value.Span.ToArray(), final.C?.Value.Span.ToArray());
    }

    /// <summary>Runs an ONNX model in ONNX Runtime; returns every output by name.</summary>
    public static Dictionary<string, (float[] Values, int[] Shape)> Run(byte[] model, params NamedOnnxValue[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(model, options);
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r =>
        {
            var tensor = r.AsTensor<float>();
            return (tensor.ToArray(), tensor.Dimensions.ToArray());
        });
    }

    public static NamedOnnxValue Longs(string name, long[] data, params int[] dims) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(data, dims));

    public static NamedOnnxValue Floats(string name, float[] data, params int[] dims) => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, dims));

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, float tolerance = 1e-4f)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, ONNX Runtime gave {actual[i]}");
    }
}
