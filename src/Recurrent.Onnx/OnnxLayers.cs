// The non-recurrent pieces every exported graph shares: embedding lookup, linear layers and the time mask
// of variable-length batches. Legend: T time, B batch, E embedding, F features.
using Recurrent.Nn;

namespace Recurrent.Onnx;

internal static class OnnxLayers
{
    /// <summary>Gather(embedding.weight [V, E], tokens [T, B] int64) → [T, B, E].</summary>
    public static string Embedding(OnnxGraph graph, Embedding embedding, string name, string tokens)
    {
        Tensors.Tensor w = embedding.Weight.Value;
        string weight = graph.Floats(name + ".weight", w.Span, w.Dim(0), w.Dim(1));
        return graph.Node("Gather", [weight, tokens], OnnxGraph.Int("axis", 0));
    }

    /// <summary>x [..., in] · Wᵀ + b → [..., out]; Wᵀ is stored as an initializer [in, out] named <c>{name}.weight.T</c>.</summary>
    public static string Linear(OnnxGraph graph, Linear linear, string name, string x)
    {
        int inFeatures = linear.InFeatures, outFeatures = linear.OutFeatures;
        ReadOnlySpan<float> w = linear.Weight.Value.Span; // [out, in]
        var transposed = new float[w.Length];
        for (int o = 0; o < outFeatures; o++)
            for (int i = 0; i < inFeatures; i++)
                transposed[i * outFeatures + o] = w[o * inFeatures + i];
        string product = graph.Node("MatMul", [x, graph.Floats(name + ".weight.T", transposed, inFeatures, outFeatures)]);
        if (linear.Bias is null) return product;
        return graph.Node("Add", [product, graph.Floats(name + ".bias", linear.Bias.Value.Span, outFeatures)]);
    }

    /// <summary>mask [T, B] bool: t &lt; lengths[b], with T taken from <paramref name="tokens"/> [T, B].</summary>
    public static string TimeMask(OnnxGraph graph, string tokens, string lengths)
    {
        string shape = graph.Node("Shape", [tokens]);
        string steps = graph.Node("Gather", [shape, graph.Int64s("time_axis", [0], scalar: true)], OnnxGraph.Int("axis", 0)); // scalar T
        string range = graph.Node("Range", [graph.Int64s("zero", [0], scalar: true), steps, graph.Int64s("one", [1], scalar: true)]); // [T]
        string column = graph.Node("Unsqueeze", [range, graph.Int64s("axes_1", [1])]);    // [T, 1]
        string row = graph.Node("Unsqueeze", [lengths, graph.Int64s("axes_0", [0])]);     // [1, B]
        return graph.Node("Less", [column, row]);                                          // [T, B]
    }
}
