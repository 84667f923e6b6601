// Encoder-decoder fixtures: one teacher-forced forward and backward of the attentional seq2seq model of
// docs/seq2seq.md, written with torch.nn modules under the state_dict names the library uses
// (encoder.embedding, encoder.rnn, bridge.h, bridge.c, decoder.embedding, decoder.rnn, decoder.attention.*,
// decoder.combine, decoder.out). Legend: S source steps, T target steps, B batch, E embedding, H encoder
// hidden per direction, F = 2H, Hd decoder hidden, L_e / L_d layers, A Bahdanau size.
// Source lengths are mixed (packed encoder, masked attention); targets are padded with id 0, which the
// cross-entropy ignores. Stored: tokens (as floats), every parameter, the loss, and every parameter's gradient.
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Recurrent.Fixtures;

internal static class Seq2SeqFixtures
{
    private const int SourceVocabulary = 9, TargetVocabulary = 8, E = 3, H = 4, EncoderLayers = 2, Hd = 5, DecoderLayers = 2, A = 6, Bos = 2, Eos = 3;
    private const int S = 4, B = 3, T = 4;
    private static readonly long[] SourceLengths = [4, 2, 3];
    private static readonly long[,] Source = { { 4, 5, 8 }, { 6, 7, 4 }, { 5, 0, 6 }, { 7, 0, 0 } };        // [S, B], 0 = pad
    private static readonly long[,] Targets = { { 4, 6, 5 }, { 5, Eos, 7 }, { 7, 0, Eos }, { Eos, 0, 0 } };  // [T, B], ends with <eos>, 0 = pad

    /// <summary>Writes the seq2seq fixtures; seeds are 3000, 3001, ... in file order.</summary>
    public static IEnumerable<string> WriteAll(string outputFolder)
    {
        int seed = 3000;
        foreach (var (attention, smoothing) in new[] { ("luong-general", 0.1), ("bahdanau", 0.0) })
        {
            string fileName = $"seq2seq_{attention.Replace('-', '_')}.json";
            Write(Path.Combine(outputFolder, fileName), attention, smoothing, seed++);
            yield return fileName;
        }
    }

    private static void Write(string path, string attention, double labelSmoothing, int seed)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        bool bahdanau = attention == "bahdanau";
        var modules = new List<(string Prefix, nn.Module Module)>
        {
            ("encoder.embedding.", nn.Embedding(SourceVocabulary, E)),
            ("encoder.rnn.", nn.LSTM(E, H, EncoderLayers, bias: true, batchFirst: false, dropout: 0, bidirectional: true)),
            ("bridge.h.", nn.Linear(2 * H, DecoderLayers * Hd)),
            ("bridge.c.", nn.Linear(2 * H, DecoderLayers * Hd)),
            ("decoder.embedding.", nn.Embedding(TargetVocabulary, E)),
            ("decoder.rnn.", nn.LSTM(E + (bahdanau ? 2 * H : Hd), Hd, DecoderLayers, bias: true, batchFirst: false, dropout: 0, bidirectional: false)),
        };
        if (bahdanau)
        {
            modules.Add(("decoder.attention.W.", nn.Linear(Hd, A, hasBias: false)));
            modules.Add(("decoder.attention.U.", nn.Linear(2 * H, A)));
            modules.Add(("decoder.attention.v.", nn.Linear(A, 1, hasBias: false)));
        }
        else modules.Add(("decoder.attention.W.", nn.Linear(2 * H, Hd, hasBias: false)));
        modules.Add(("decoder.combine.", nn.Linear(2 * H + Hd, Hd, hasBias: false)));
        modules.Add(("decoder.out.", nn.Linear(Hd, TargetVocabulary)));
        T M<T>(string prefix) where T : nn.Module => (T)modules.First(m => m.Prefix == prefix).Module;

        // Encoder: packed bidirectional LSTM from zero state.
        var source = tensor(Flat(Source), [S, B], ScalarType.Int64);
        var embedded = M<Embedding>("encoder.embedding.").call(source);                                      // [S, B, E]
        var packed = nn.utils.rnn.pack_padded_sequence(embedded, tensor(SourceLengths), batch_first: false, enforce_sorted: false);
        var (packedOut, hN, cN) = M<LSTM>("encoder.rnn.").call(packed, (zeros([2 * EncoderLayers, B, H]), zeros([2 * EncoderLayers, B, H])));
        var (memory, _) = nn.utils.rnn.pad_packed_sequence(packedOut, batch_first: false, padding_value: 0, total_length: S); // [S, B, F]
        var mask = zeros([S, B], ScalarType.Bool);
        for (int b = 0; b < B; b++) mask[TensorIndex.Slice(0, SourceLengths[b]), b] = ones([SourceLengths[b]], ScalarType.Bool);

        // Bridge: the top layer's final states, both directions → every decoder layer.
        Tensor Top(Tensor state) => cat([state[2 * EncoderLayers - 2], state[2 * EncoderLayers - 1]], 1);   // [B, F]
        Tensor Spread(Tensor x) => x.view(B, DecoderLayers, Hd).transpose(0, 1).contiguous();                // [L_d, B, Hd]
        var h = Spread(M<Linear>("bridge.h.").call(Top(hN)).tanh());
        var c = Spread(M<Linear>("bridge.c.").call(Top(cN)));
        Tensor feed = bahdanau ? h[DecoderLayers - 1] : zeros([B, Hd]);

        Tensor keys = bahdanau ? M<Linear>("decoder.attention.U.").call(memory) : M<Linear>("decoder.attention.W.").call(memory);
        (Tensor Context, Tensor Weights) Attend(Tensor query)
        {
            Tensor scores = bahdanau
                ? M<Linear>("decoder.attention.v.").call((M<Linear>("decoder.attention.W.").call(query).unsqueeze(0) + keys).tanh()).squeeze(-1)
                : (keys * query.unsqueeze(0)).sum(-1L, false);                                                          // [S, B]
            var weights = scores.masked_fill(mask.logical_not(), double.NegativeInfinity).softmax(0);
            return ((weights.unsqueeze(-1) * memory).sum(0L, false), weights);                                          // [B, F], [S, B]
        }

        var targets = tensor(Flat(Targets), [T, B], ScalarType.Int64);
        var previous = cat([full([1, B], Bos, ScalarType.Int64), targets[TensorIndex.Slice(0, T - 1)]], 0);    // teacher forcing
        var decoderEmbedded = M<Embedding>("decoder.embedding.").call(previous);                              // [T, B, E]
        var outputs = new List<Tensor>();
        var rnn = M<LSTM>("decoder.rnn.");
        for (int t = 0; t < T; t++)
        {
            if (bahdanau)
            {
                var (context, _) = Attend(feed);
                var (o, h2, c2) = rnn.call(cat([decoderEmbedded[t], context], 1).unsqueeze(0), (h, c));
                (h, c) = (h2, c2);
                outputs.Add(M<Linear>("decoder.combine.").call(cat([context, o[0]], 1)).tanh());
                feed = o[0];
            }
            else
            {
                var (o, h2, c2) = rnn.call(cat([decoderEmbedded[t], feed], 1).unsqueeze(0), (h, c));
                (h, c) = (h2, c2);
                var (context, _) = Attend(o[0]);
                feed = M<Linear>("decoder.combine.").call(cat([context, o[0]], 1)).tanh();
                outputs.Add(feed);
            }
        }
        var logits = M<Linear>("decoder.out.").call(cat(outputs, 0));                                           // [T·B, V_t]
        var loss = nn.functional.cross_entropy(logits, targets.reshape(T * B), ignore_index: 0, label_smoothing: labelSmoothing);
        loss.backward();

        var config = new JsonObject
        {
            ["attention"] = attention,
            ["source_vocab_size"] = SourceVocabulary,
            ["target_vocab_size"] = TargetVocabulary,
            ["embedding_size"] = E,
            ["encoder_hidden"] = H,
            ["encoder_layers"] = EncoderLayers,
            ["decoder_hidden"] = Hd,
            ["decoder_layers"] = DecoderLayers,
            ["attention_size"] = A,
            ["label_smoothing"] = labelSmoothing,
            ["source_lengths"] = new JsonArray(SourceLengths.Select(l => (JsonNode?)l).ToArray()),
        };
        var writer = new FixtureWriter(seed, config);
        writer.Add("source", source.to_type(ScalarType.Float32));
        writer.Add("targets", targets.to_type(ScalarType.Float32));
        var parameters = modules.SelectMany(m => m.Module.named_parameters().Select(p => (Name: m.Prefix + p.name, p.parameter))).ToList();
        foreach (var (name, parameter) in parameters) writer.Add(name, parameter);
        writer.Add("loss", loss.reshape(1));
        foreach (var (name, parameter) in parameters)
            writer.Add("grad." + name, parameter.grad ?? throw new InvalidOperationException($"No gradient reached '{name}'."));
        writer.Save(path);
    }

    private static long[] Flat(long[,] values) => values.Cast<long>().ToArray();
}
