// The ONNX graph of a classifier: tokens [T, B] int64 and lengths [B] int64 (each in 1…T) → logits [B, C]
// and probabilities [B, C]. The recurrent stack gets the lengths as sequence_lens, so the states and the
// reverse direction follow each text's own length; pooling masks the steps at or past a length:
//   last       the last layer's final state, forward then reverse          [B, D·H]
//   mean       Σ_{t<len} y_t / len
//   max        max_{t<len} y_t  (padded steps set to −∞ first)
//   attention  α = softmax_{t<len}(vᵀ tanh(W y_t + b)), Σ_t α_t y_t
using Recurrent.Tasks.Classification;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace Recurrent.Onnx;

internal static class ClassifierExport
{
    public static global::Onnx.ModelProto Build(Classifier classifier)
    {
        ClassifierNetwork network = classifier.Network;
        ClassifierShape shape = network.Shape;
        var graph = new OnnxGraph("classifier");
        string tokens = graph.Input("tokens", DataType.Int64, "sequence", "batch");
        string lengths = graph.Input("lengths", DataType.Int64, "batch");
        string lengths32 = graph.Node("Cast", [lengths], OnnxGraph.Int("to", (long)DataType.Int32));

        string x = OnnxLayers.Embedding(graph, network.Embedding, "embedding", tokens);                        // [T, B, E]
        StackOutputs stack = RecurrentStackExport.Emit(graph, network.Rnn, "rnn.", x, lengths32, null, null);  // [T, B, D·H]
        string pooled = shape.Pooling == Pooling.Last
            ? LastState(graph, stack.FinalH[^1])
            : Pool(graph, network, stack.Output, tokens, lengths);
        string logits = OnnxLayers.Linear(graph, network.Classifier, "classifier", pooled);                     // [B, C]
        graph.Output(logits, "logits", DataType.Float, "batch", shape.Classes);
        graph.Output(graph.Node("Softmax", [logits], OnnxGraph.Int("axis", 1)), "probabilities", DataType.Float, "batch", shape.Classes);

        string doc = $"Recurrent text classifier ({shape.Pooling.ToString().ToLowerInvariant()} pooling): tokens [sequence, batch] int64 padded with 0 and lengths [batch] int64 → logits and probabilities [batch, classes].";
        return graph.ToModel(doc, OnnxMetadata.For(ClassificationConfig.TaskName, shape.Cell, classifier.Config.Vocabulary.Tokens, classifier.Config.Labels));
    }

    /// <summary>Y_h of the last layer [D, B, H] → [B, D·H].</summary>
    private static string LastState(OnnxGraph graph, string finalH)
    {
        string batchFirst = graph.Node("Transpose", [finalH], OnnxGraph.Ints("perm", 1, 0, 2));  // [B, D, H]
        return graph.Node("Reshape", [batchFirst, graph.Int64s("flatten_shape", [0, -1])]);    // [B, D·H]
    }

    private static string Pool(OnnxGraph graph, ClassifierNetwork network, string y, string tokens, string lengths)
    {
        string mask = graph.Node("Unsqueeze", [OnnxLayers.TimeMask(graph, tokens, lengths), graph.Int64s("axes_2", [2])]); // [T, B, 1] bool
        string negativeInfinity = graph.Floats("negative_infinity", [float.NegativeInfinity]);
        switch (network.Shape.Pooling)
        {
            case Pooling.Mean:
            {
                string masked = graph.Node("Mul", [y, graph.Node("Cast", [mask], OnnxGraph.Int("to", (long)DataType.Float))]);
                string sum = graph.Node("ReduceSum", [masked, graph.Int64s("axes_0", [0])], OnnxGraph.Int("keepdims", 0)); // [B, F]
                string count = graph.Node("Cast", [graph.Node("Unsqueeze", [lengths, graph.Int64s("axes_1", [1])])], OnnxGraph.Int("to", (long)DataType.Float));
                return graph.Node("Div", [sum, count]);
            }
            case Pooling.Max:
            {
                string masked = graph.Node("Where", [mask, y, negativeInfinity]);
                return graph.Node("ReduceMax", [masked], OnnxGraph.Ints("axes", 0), OnnxGraph.Int("keepdims", 0));     // [B, F]
            }
            default:
            {
                string energy = graph.Node("Tanh", [OnnxLayers.Linear(graph, network.AttentionProjection!, "attention.proj", y)]);
                string scores = OnnxLayers.Linear(graph, network.AttentionScore!, "attention.score", energy);          // [T, B, 1]
                string weights = graph.Node("Softmax", [graph.Node("Where", [mask, scores, negativeInfinity])], OnnxGraph.Int("axis", 0));
                return graph.Node("ReduceSum", [graph.Node("Mul", [weights, y]), graph.Int64s("axes_0", [0])], OnnxGraph.Int("keepdims", 0));
            }
        }
    }
}
