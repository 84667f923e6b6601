// ONNX graphs of a language model (embedding → recurrent stack → decoder), in two forms:
//   Sequence: tokens [T, B] int64, h0 [L, B, H] (, c0)  →  logits [T, B, V], h_n [L, B, H] (, c_n)
//   Step:     token [B] int64,     h0 [L, B, H] (, c0)  →  logits [B, V],    h_n [L, B, H] (, c_n)
// T and B are dynamic. Feed h_n (and c_n) back as h0 (and c0) to continue a text; zeros start one.
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace Recurrent.Onnx;

/// <summary>Which graph of a model to export.</summary>
public enum ExportGraph
{
    /// <summary>Language model: whole sequences, tokens [T, B] → logits [T, B, V], with state in and out. Classifier: its one graph.</summary>
    Sequence,
    /// <summary>Language model: one step for generation, token [B] → logits [B, V], with state in and out.</summary>
    Step,
    /// <summary>Seq2seq: the encoder, source → memory and the decoder's initial state.</summary>
    Encoder,
    /// <summary>Seq2seq: one decoder step, previous token and state → logits and the next state.</summary>
    Decoder,
}

internal static class LanguageModelExport
{
    public static global::Onnx.ModelProto Build(LanguageModel model, ExportGraph form)
    {
        LanguageModelNetwork network = model.Network;
        LanguageModelShape shape = network.Shape;
        bool lstm = shape.Cell == CellKind.Lstm;
        var graph = new OnnxGraph(form == ExportGraph.Sequence ? "language_model" : "language_model_step");

        string tokens = form == ExportGraph.Sequence
            ? graph.Input("tokens", DataType.Int64, "sequence", "batch")
            : graph.Node("Unsqueeze", [graph.Input("token", DataType.Int64, "batch"), graph.Int64s("axes_0", [0])]); // [1, B]
        string h0 = graph.Input("h0", DataType.Float, shape.Layers, "batch", shape.HiddenSize);
        string? c0 = lstm ? graph.Input("c0", DataType.Float, shape.Layers, "batch", shape.HiddenSize) : null;

        string x = OnnxLayers.Embedding(graph, network.Embedding, "embedding", tokens);              // [T, B, E]
        StackOutputs stack = RecurrentStackExport.Emit(graph, network.Rnn, "rnn.", x, null, h0, c0); // [T, B, H]
        string logits = OnnxLayers.Linear(graph, network.Decoder, "decoder", stack.Output);          // [T, B, V]

        if (form == ExportGraph.Sequence)
            graph.Output(logits, "logits", DataType.Float, "sequence", "batch", shape.VocabularySize);
        else
            graph.Output(graph.Node("Squeeze", [logits, graph.Int64s("axes_0", [0])]), "logits", DataType.Float, "batch", shape.VocabularySize);
        graph.Output(RecurrentStackExport.ConcatLayers(graph, stack.FinalH), "h_n", DataType.Float, shape.Layers, "batch", shape.HiddenSize);
        if (lstm)
            graph.Output(RecurrentStackExport.ConcatLayers(graph, stack.FinalC!), "c_n", DataType.Float, shape.Layers, "batch", shape.HiddenSize);

        string doc = form == ExportGraph.Sequence
            ? "Recurrent language model: tokens [sequence, batch] int64 and the state (h0, c0 for LSTM) [layers, batch, hidden] → logits [sequence, batch, vocabulary] and the final state."
            : "Recurrent language model, one step: token [batch] int64 and the state (h0, c0 for LSTM) [layers, batch, hidden] → logits [batch, vocabulary] and the next state.";
        return graph.ToModel(doc, OnnxMetadata.For(LanguageModelConfig.TaskName, shape.Cell, model.Vocabulary.Tokens, labels: null));
    }
}
