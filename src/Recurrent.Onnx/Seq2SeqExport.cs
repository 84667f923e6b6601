// ONNX graphs of an encoder-decoder: the encoder (run once per batch) and one decoder step (run per output
// token, greedy or beam search in the caller). Legend: S source steps, B batch, F = D·H_e memory features,
// K key features, L_d decoder layers, H_d decoder hidden, V_t target vocabulary.
//   encoder: source [S, B] int64 (in reading order, padded with 0), source_lengths [B] int64
//            → memory [S, B, F], keys [S, B, K] (attention only), h [L_d, B, H_d], c (LSTM), feed [B, H_d] (attention only)
//   decoder: previous [B] int64 (<bos> first), h, c, feed, memory, keys, source_lengths
//            → logits [B, V_t], h_n, c_n, feed_n, attention [S, B] (attention only)
// The equations are Seq2SeqNetwork's: bridge h = tanh(W_h [h_fwd; h_bwd]), c = W_c [c_fwd; c_bwd], spread one
// block per decoder layer; Luong: h_t = RNN([e; feed]), α = softmax(score(h_t)), feed_n = tanh(W_c [ctx; h_t]);
// Bahdanau: α = softmax(score(feed)), h_t = RNN([e; ctx]), feed_n = h_t, output tanh(W_c [ctx; h_t]).
using Recurrent.Nn;
using Recurrent.Tasks.Seq2Seq;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace Recurrent.Onnx;

internal static class Seq2SeqExport
{
    public static global::Onnx.ModelProto BuildEncoder(Seq2SeqModel model)
    {
        Seq2SeqNetwork network = model.Network;
        Seq2SeqShape shape = network.Shape;
        var graph = new OnnxGraph("seq2seq_encoder");
        string source = graph.Input("source", DataType.Int64, "source_steps", "batch");
        string lengths = graph.Input("source_lengths", DataType.Int64, "batch");
        // EncodeSource reverses each source within its own length when the model reads sources reversed.
        if (shape.ReverseSource)
            source = graph.Node("ReverseSequence", [source, lengths], OnnxGraph.Int("batch_axis", 1), OnnxGraph.Int("time_axis", 0));
        string lengths32 = graph.Node("Cast", [lengths], OnnxGraph.Int("to", (long)DataType.Int32));

        string x = OnnxLayers.Embedding(graph, network.SourceEmbedding, "encoder.embedding", source);
        StackOutputs stack = RecurrentStackExport.Emit(graph, network.Encoder, "encoder.rnn.", x, lengths32, null, null); // [S, B, F]
        graph.Output(stack.Output, "memory", DataType.Float, "source_steps", "batch", shape.MemorySize);
        if (network.Attention is not null)
            graph.Output(Keys(graph, network, stack.Output), "keys", DataType.Float, "source_steps", "batch", KeySize(shape));

        string h = Spread(graph, graph.Node("Tanh", [OnnxLayers.Linear(graph, network.BridgeH, "bridge.h", TopLayer(graph, stack.FinalH[^1]))]), shape);
        graph.Output(h, "h", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        if (network.BridgeC is not null)
            graph.Output(Spread(graph, OnnxLayers.Linear(graph, network.BridgeC, "bridge.c", TopLayer(graph, stack.FinalC![^1])), shape),
                "c", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        if (network.Attention is not null)
        {
            // Bahdanau's first query is the top decoder layer's initial state; Luong's fed-back vector starts at zero.
            string top = graph.Node("Gather", [h, graph.Int64s("top_layer", [shape.DecoderLayers - 1], scalar: true)], OnnxGraph.Int("axis", 0));
            string feed = shape.Attention == AttentionKind.Bahdanau ? top : graph.Node("Mul", [top, graph.Floats("zero", [0f])]);
            graph.Output(feed, "feed", DataType.Float, "batch", shape.DecoderHidden);
        }
        return graph.ToModel("Recurrent seq2seq encoder: source [source_steps, batch] int64 in reading order, padded with 0, and source_lengths [batch] int64 → memory, keys and the decoder's initial state.",
            Metadata(model, "encoder"));
    }

    public static global::Onnx.ModelProto BuildDecoderStep(Seq2SeqModel model)
    {
        Seq2SeqNetwork network = model.Network;
        Seq2SeqShape shape = network.Shape;
        bool attention = network.Attention is not null;
        var graph = new OnnxGraph("seq2seq_decoder_step");
        string previous = graph.Input("previous", DataType.Int64, "batch");
        string h = graph.Input("h", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        string? c = network.BridgeC is null ? null : graph.Input("c", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        string? feed = null, memory = null, keys = null, mask = null;
        if (attention)
        {
            feed = graph.Input("feed", DataType.Float, "batch", shape.DecoderHidden);
            memory = graph.Input("memory", DataType.Float, "source_steps", "batch", shape.MemorySize);
            keys = graph.Input("keys", DataType.Float, "source_steps", "batch", KeySize(shape));
            string lengths = graph.Input("source_lengths", DataType.Int64, "batch");
            mask = graph.Node("Unsqueeze", [OnnxLayers.TimeMask(graph, memory, lengths), graph.Int64s("axes_2", [2])]); // [S, B, 1]
        }

        string e = OnnxLayers.Embedding(graph, network.TargetEmbedding, "decoder.embedding", previous); // [B, E]
        (string Context, string Weights)? bahdanau = shape.Attention == AttentionKind.Bahdanau ? Attend(graph, network, feed!, memory!, keys!, mask!) : null;
        string input = shape.Attention switch
        {
            AttentionKind.None => e,
            AttentionKind.Bahdanau => graph.Node("Concat", [e, bahdanau!.Value.Context], OnnxGraph.Int("axis", 1)),
            _ => graph.Node("Concat", [e, feed!], OnnxGraph.Int("axis", 1)),
        };
        string oneStep = graph.Node("Unsqueeze", [input, graph.Int64s("axes_0", [0])]);                 // [1, B, In]
        StackOutputs stack = RecurrentStackExport.Emit(graph, network.Decoder, "decoder.rnn.", oneStep, null, h, c);
        string top = graph.Node("Squeeze", [stack.Output, graph.Int64s("axes_0", [0])]);              // [B, H_d]

        string output = top;
        (string Context, string Weights)? attended = bahdanau;
        if (attention)
        {
            attended ??= Attend(graph, network, top, memory!, keys!, mask!);
            output = graph.Node("Tanh", [OnnxLayers.Linear(graph, network.Combine!, "decoder.combine",
                graph.Node("Concat", [attended.Value.Context, top], OnnxGraph.Int("axis", 1)))]);
        }
        graph.Output(OnnxLayers.Linear(graph, network.Out, "decoder.out", output), "logits", DataType.Float, "batch", shape.TargetVocabularySize);
        graph.Output(RecurrentStackExport.ConcatLayers(graph, stack.FinalH), "h_n", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        if (c is not null)
            graph.Output(RecurrentStackExport.ConcatLayers(graph, stack.FinalC!), "c_n", DataType.Float, shape.DecoderLayers, "batch", shape.DecoderHidden);
        if (attention)
        {
            graph.Output(shape.Attention == AttentionKind.Bahdanau ? top : output, "feed_n", DataType.Float, "batch", shape.DecoderHidden);
            graph.Output(graph.Node("Squeeze", [attended!.Value.Weights, graph.Int64s("axes_2", [2])]), "attention", DataType.Float, "source_steps", "batch");
        }
        return graph.ToModel("Recurrent seq2seq decoder, one step: the previous token [batch] int64 (<bos> first) and the state from the encoder or the last step → logits [batch, target vocabulary] and the next state.",
            Metadata(model, "decoder"));
    }

    private static int KeySize(Seq2SeqShape shape) => shape.Attention switch
    {
        AttentionKind.Bahdanau => shape.AttentionSize,
        AttentionKind.LuongGeneral => shape.DecoderHidden,
        _ => shape.MemorySize,
    };

    /// <summary>The prepared keys: U·h_s + b (Bahdanau), W·h_s (Luong general) or the memory itself (Luong dot).</summary>
    private static string Keys(OnnxGraph graph, Seq2SeqNetwork network, string memory) => network.Attention switch
    {
        BahdanauAttention b => OnnxLayers.Linear(graph, b.U, "decoder.attention.U", memory),
        LuongAttention { W: { } w } => OnnxLayers.Linear(graph, w, "decoder.attention.W", memory),
        _ => graph.Node("Identity", [memory]),
    };

    /// <summary>α = masked softmax over S of the scores of <paramref name="query"/> [B, Q]; context Σ_s α_s memory_s [B, F]; weights [S, B, 1].</summary>
    private static (string Context, string Weights) Attend(OnnxGraph graph, Seq2SeqNetwork network, string query, string memory, string keys, string mask)
    {
        string scores; // [S, B, 1]
        if (network.Attention is BahdanauAttention b)
        {
            string q = graph.Node("Unsqueeze", [OnnxLayers.Linear(graph, b.W, "decoder.attention.W", query), graph.Int64s("axes_0", [0])]); // [1, B, A]
            scores = OnnxLayers.Linear(graph, b.V, "decoder.attention.v", graph.Node("Tanh", [graph.Node("Add", [keys, q])]));
        }
        else
        {
            string q = graph.Node("Unsqueeze", [query, graph.Int64s("axes_0", [0])]);                           // [1, B, K]
            scores = graph.Node("ReduceSum", [graph.Node("Mul", [keys, q]), graph.Int64s("axes_2", [2])], OnnxGraph.Int("keepdims", 1));
        }
        string masked = graph.Node("Where", [mask, scores, graph.Floats("negative_infinity", [float.NegativeInfinity])]);
        string weights = graph.Node("Softmax", [masked], OnnxGraph.Int("axis", 0));
        string context = graph.Node("ReduceSum", [graph.Node("Mul", [weights, memory]), graph.Int64s("axes_0", [0])], OnnxGraph.Int("keepdims", 0));
        return (context, weights);
    }

    /// <summary>The top encoder layer's final state [D, B, H_e] → [B, D·H_e] (forward, then reverse).</summary>
    private static string TopLayer(OnnxGraph graph, string finalState)
    {
        string batchFirst = graph.Node("Transpose", [finalState], OnnxGraph.Ints("perm", 1, 0, 2));
        return graph.Node("Reshape", [batchFirst, graph.Int64s("flatten_shape", [0, -1])]);
    }

    /// <summary>[B, L_d·H_d] → [L_d, B, H_d]: block l of the bridge output is decoder layer l's state.</summary>
    private static string Spread(OnnxGraph graph, string x, Seq2SeqShape shape)
    {
        string blocks = graph.Node("Reshape", [x, graph.Int64s("bridge_shape", [0, shape.DecoderLayers, shape.DecoderHidden])]);
        return graph.Node("Transpose", [blocks], OnnxGraph.Ints("perm", 1, 0, 2));
    }

    private static IEnumerable<KeyValuePair<string, string>> Metadata(Seq2SeqModel model, string graph) =>
        OnnxMetadata.For(Seq2SeqConfig.TaskName, model.Config.Shape.Cell, model.Config.SourceVocabulary.Tokens, labels: null)
            .Select(p => p.Key == "vocabulary" ? new KeyValuePair<string, string>("source_vocabulary", p.Value) : p)
            .Append(new("target_vocabulary", OnnxMetadata.Json(model.Config.TargetVocabulary.Tokens)))
            .Append(new("graph", graph))
            .Append(new("reverse_source", model.Config.Shape.ReverseSource ? "true" : "false"));
}
