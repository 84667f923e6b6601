// The seq2seq export (encoder graph and one decoder-step graph) in ONNX Runtime against Seq2SeqStepDecoder,
// the decoder our greedy and beam search use: the encoder's outputs equal its start state, and three steps fed
// with ONNX Runtime's own state give the same log-probabilities, states and attention weights, within 1e-4.
// Every cell × every attention form, on a 2-layer bidirectional encoder and a 2-layer decoder, mixed lengths.
using Microsoft.ML.OnnxRuntime;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Onnx;
using Recurrent.Tasks.Seq2Seq;
using Recurrent.Tensors;
using static Recurrent.Tests.Onnx.OnnxModels;

namespace Recurrent.Tests.Onnx;

public sealed class Seq2SeqOnnxTests
{
    private const int EncoderHidden = 4, DecoderHidden = 8, Steps = 3;

    public static TheoryData<CellKind, AttentionKind, bool> Cases()
    {
        var data = new TheoryData<CellKind, AttentionKind, bool>();
        foreach (CellKind cell in Cells)
            foreach (AttentionKind attention in Enum.GetValues<AttentionKind>())
                data.Add(cell, attention, attention == AttentionKind.LuongGeneral);
        return data;
    }

    internal static Seq2SeqModel Model(CellKind cell, AttentionKind attention, bool reverseSource, int seed)
    {
        var source = Recurrent.Data.Vocabulary.Build("abcdefg".Select(c => c.ToString()));
        var target = Recurrent.Data.Vocabulary.Build("wxyz".Select(c => c.ToString()));
        var shape = new Seq2SeqShape(source.Count, target.Count, cell, 5, EncoderHidden, 2, true, DecoderHidden, 2, attention, 6, 0f, reverseSource);
        var config = new Seq2SeqConfig(TokenizerKind.Character, TokenizerKind.Character, source, target, PairFormat.Tsv, false, shape);
        return new Seq2SeqModel(config, new Seq2SeqNetwork(shape, new Rng((ulong)seed)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncoderAndDecoderSteps_MatchOurStepDecoderInOnnxRuntime(CellKind cell, AttentionKind attention, bool reverseSource)
    {
        Seq2SeqModel model = Model(cell, attention, reverseSource, seed: 31);
        int[][] sources = [[4, 5, 6, 7, 8], [9, 4], [10, 8, 6, 5]]; // in reading order
        int batch = sources.Length, steps = sources.Max(s => s.Length);
        var padded = new long[steps * batch];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < sources[b].Length; t++) padded[t * batch + b] = sources[b][t];
        long[] lengths = sources.Select(s => (long)s.Length).ToArray();

        var decoder = new Seq2SeqStepDecoder(model.Network);
        Seq2SeqSearchState expected = decoder.Start(sources.Select(s => reverseSource ? s.Reverse().ToArray() : s).ToArray());
        var encoded = Run(OnnxExport.EncoderBytes(model), Longs("source", padded, steps, batch), Longs("source_lengths", lengths, batch));

        string what = $"{cell} {attention}";
        AssertClose(expected.H.Span, encoded["h"].Values, $"{what} encoder h");
        if (expected.C is not null) AssertClose(expected.C.Span, encoded["c"].Values, $"{what} encoder c");
        Assert.Equal(expected.C is not null, encoded.ContainsKey("c"));
        bool attends = attention != AttentionKind.None;
        Assert.Equal(attends, encoded.ContainsKey("keys"));
        if (attends)
        {
            AssertClose(expected.Values!.Span, encoded["memory"].Values, $"{what} memory");
            AssertClose(expected.Keys!.Span, encoded["keys"].Values, $"{what} keys");
            AssertClose(expected.Feed.Span, encoded["feed"].Values, $"{what} feed");
        }

        byte[] step = OnnxExport.DecoderStepBytes(model);
        float[] h = encoded["h"].Values;
        float[]? c = encoded.GetValueOrDefault("c").Values;
        float[]? feed = attends ? encoded["feed"].Values : null;
        long[][] previous = [[Recurrent.Data.Vocabulary.BosId, Recurrent.Data.Vocabulary.BosId, Recurrent.Data.Vocabulary.BosId], [4, 5, 6], [7, 4, 5]];
        for (int t = 0; t < Steps; t++)
        {
            var result = decoder.Step(previous[t].Select(p => (int)p).ToArray(), expected);
            var inputs = new List<NamedOnnxValue> { Longs("previous", previous[t], batch), Floats("h", h, 2, batch, DecoderHidden) };
            if (c is not null) inputs.Add(Floats("c", c, 2, batch, DecoderHidden));
            if (attends)
            {
                inputs.Add(Floats("feed", feed!, batch, DecoderHidden));
                inputs.Add(Floats("memory", encoded["memory"].Values, encoded["memory"].Shape));
                inputs.Add(Floats("keys", encoded["keys"].Values, encoded["keys"].Shape));
                inputs.Add(Longs("source_lengths", lengths, batch));
            }
            var onnx = Run(step, [.. inputs]);

            AssertClose(result.LogProbabilities.Span, LogSoftmaxRows(onnx["logits"].Values, batch), $"{what} step {t} log-probabilities");
            AssertClose(result.State.H.Span, onnx["h_n"].Values, $"{what} step {t} h");
            if (c is not null) AssertClose(result.State.C!.Span, onnx["c_n"].Values, $"{what} step {t} c");
            if (attends)
            {
                AssertClose(result.State.Feed.Span, onnx["feed_n"].Values, $"{what} step {t} feed");
                AssertClose(Transpose(result.Attention!), onnx["attention"].Values, $"{what} step {t} attention");
                feed = onnx["feed_n"].Values;
            }
            h = onnx["h_n"].Values;
            c = onnx.GetValueOrDefault("c_n").Values;
            expected = result.State;
        }
    }

    [Fact]
    public void EncoderGraph_PaddingValues_DoNotChangeTheResult()
    {
        Seq2SeqModel model = Model(CellKind.Gru, AttentionKind.Bahdanau, reverseSource: true, seed: 4);
        byte[] encoder = OnnxExport.EncoderBytes(model);
        long[] clean = [4, 5, 6, 0, 7, 0], noisy = [4, 5, 6, 9, 7, 9];
        var lengths = Longs("source_lengths", [3, 1], 2);

        var a = Run(encoder, Longs("source", clean, 3, 2), lengths);
        var b = Run(encoder, Longs("source", noisy, 3, 2), lengths);

        foreach (string output in new[] { "memory", "keys", "h", "feed" }) Assert.Equal(a[output].Values, b[output].Values);
    }

    private static float[] LogSoftmaxRows(float[] logits, int rows)
    {
        int v = logits.Length / rows;
        var result = new float[logits.Length];
        Softmax.LogRows(logits, result, rows, v);
        return result;
    }

    /// <summary>[N, S] → [S, N].</summary>
    private static float[] Transpose(Tensor x)
    {
        int n = x.Dim(0), s = x.Dim(1);
        var y = new float[n * s];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < s; t++) y[t * n + i] = x[i * s + t];
        return y;
    }
}
