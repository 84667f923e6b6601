// Emits a RecurrentLayer stack as ONNX's standard recurrent operators, one node per layer (ONNX's RNN, LSTM
// and GRU are single-layer, both directions in one node). Legend: T time, B batch, I input, H hidden,
// L layers, D directions, G gate rows.
//   layer k:  Y_k [T, D, B, H], Y_h [D, B, H] (, Y_c)  =  LSTM/GRU/RNN(X_k, W [D, G, I], R [D, G, H], B [D, 2G],
//                                                                  sequence_lens [B], initial_h [D, B, H] (, initial_c))
//   X_{k+1} = Reshape(Transpose(Y_k, [0, 2, 1, 3]), [0, 0, −1])   [T, B, D·H], forward half first
// Layout 0 (time-major), gates reordered by OnnxGates.Reorder. The GRU's linear_before_reset is 1 for
// PyTorch's form, n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), and 0 for the original form: ONNX defines
// linear_before_reset = 0 as h~ = g(X·W_hᵀ + (r ⊙ H)·R_hᵀ + Rb_h + Wb_h), which is exactly
// n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).
using Recurrent.Nn;

namespace Recurrent.Onnx;

/// <summary>What the stack emits: the last layer's output and each layer's final states.</summary>
/// <param name="Output">[T, B, D·H], zero past each sequence's length.</param>
/// <param name="FinalH">Per layer, [D, B, H]: the state at each sequence's own last step.</param>
/// <param name="FinalC">Per layer (LSTM only), [D, B, H].</param>
internal sealed record StackOutputs(string Output, string[] FinalH, string[]? FinalC);

internal static class RecurrentStackExport
{
    /// <summary>Adds the stack's nodes and weights (initializers named after <paramref name="prefix"/>) to <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph to add to.</param>
    /// <param name="rnn">The stack whose weights are exported.</param>
    /// <param name="prefix">Prefix of the initializer names, e.g. "rnn.".</param>
    /// <param name="x">[T, B, I] float.</param>
    /// <param name="sequenceLengths">[B] int32, or null when every sequence spans T.</param>
    /// <param name="h0">[L·D, B, H], or null for zeros.</param>
    /// <param name="c0">[L·D, B, H] (LSTM), or null for zeros.</param>
    public static StackOutputs Emit(OnnxGraph graph, RecurrentLayer rnn, string prefix, string x, string? sequenceLengths, string? h0, string? c0)
    {
        RecurrentOptions o = rnn.Options;
        if (o.Cell == CellKind.LayerNormLstm)
            throw new NotSupportedException("cell 'ln-lstm' (layer-normalised LSTM) cannot be exported to ONNX, whose LSTM operator has no normalisation inside the cell; models with cell lstm, gru or rnn export.");
        int d = o.Directions, h = o.HiddenSize;
        bool lstm = o.Cell == CellKind.Lstm;
        var finalH = new string[o.NumLayers];
        string[]? finalC = lstm ? new string[o.NumLayers] : null;
        string input = x;
        string reshape = graph.Int64s($"{prefix}merge_directions_shape", [0, 0, -1]);
        for (int layer = 0; layer < o.NumLayers; layer++)
        {
            string w = Weights(graph, rnn, prefix, layer, Kind.InputWeights);
            string r = Weights(graph, rnn, prefix, layer, Kind.RecurrentWeights);
            string b = Weights(graph, rnn, prefix, layer, Kind.Biases);
            string initialH = h0 is null ? "" : LayerSlice(graph, h0, prefix, "h0", layer, d);
            string initialC = c0 is null || !lstm ? "" : LayerSlice(graph, c0, prefix, "c0", layer, d);
            string[] inputs = lstm
                ? [input, w, r, b, sequenceLengths ?? "", initialH, initialC]
                : [input, w, r, b, sequenceLengths ?? "", initialH];
            string[] outputs = graph.NodeMulti(OpType(o.Cell), inputs, lstm ? 3 : 2, Attributes(o));
            finalH[layer] = outputs[1];
            if (finalC is not null) finalC[layer] = outputs[2];
            string timeBatchDirection = graph.Node("Transpose", [outputs[0]], OnnxGraph.Ints("perm", 0, 2, 1, 3)); // [T, B, D, H]
            input = graph.Node("Reshape", [timeBatchDirection, reshape]);                                          // [T, B, D·H]
        }
        return new StackOutputs(input, finalH, finalC);
    }

    /// <summary>[L·D, B, H] from per-layer [D, B, H] states, in PyTorch's order (layer-major, forward first).</summary>
    public static string ConcatLayers(OnnxGraph graph, string[] perLayer) =>
        perLayer.Length == 1 ? perLayer[0] : graph.Node("Concat", perLayer, OnnxGraph.Int("axis", 0));

    private enum Kind { InputWeights, RecurrentWeights, Biases }

    private static string OpType(CellKind cell) => cell switch
    {
        CellKind.Lstm => "LSTM",
        CellKind.Gru or CellKind.GruOriginal => "GRU",
        _ => "RNN",
    };

    private static global::Onnx.AttributeProto[] Attributes(RecurrentOptions o)
    {
        var list = new List<global::Onnx.AttributeProto>
        {
            OnnxGraph.Int("hidden_size", o.HiddenSize),
            OnnxGraph.Text("direction", o.Bidirectional ? "bidirectional" : "forward"),
            OnnxGraph.Int("layout", 0),
        };
        if (o.Cell is CellKind.RnnTanh or CellKind.RnnRelu)
        {
            string activation = o.Cell == CellKind.RnnTanh ? "Tanh" : "Relu";
            list.Add(OnnxGraph.Texts("activations", Enumerable.Repeat(activation, o.Directions).ToArray()));
        }
        if (o.Cell is CellKind.Gru or CellKind.GruOriginal)
            list.Add(OnnxGraph.Int("linear_before_reset", o.Cell == CellKind.Gru ? 1 : 0));
        return [.. list];
    }

    /// <summary>W [D, G, I], R [D, G, H] or B [D, 2G] of one layer, gates in ONNX's order.</summary>
    private static string Weights(OnnxGraph graph, RecurrentLayer rnn, string prefix, int layer, Kind kind)
    {
        RecurrentOptions o = rnn.Options;
        int gates = o.GateCount * o.HiddenSize;
        int columns = kind switch
        {
            Kind.InputWeights => layer == 0 ? o.InputSize : o.Directions * o.HiddenSize,
            Kind.RecurrentWeights => o.HiddenSize,
            _ => 1,
        };
        var data = new List<float>();
        for (int direction = 0; direction < o.Directions; direction++)
        {
            if (kind == Kind.Biases)
            {
                data.AddRange(OnnxGates.Reorder(rnn.BiasIh(layer, direction).Value.Span, o.Cell, o.HiddenSize, 1, GateLayout.PyTorch));
                data.AddRange(OnnxGates.Reorder(rnn.BiasHh(layer, direction).Value.Span, o.Cell, o.HiddenSize, 1, GateLayout.PyTorch));
            }
            else
            {
                var source = kind == Kind.InputWeights ? rnn.WeightIh(layer, direction) : rnn.WeightHh(layer, direction);
                data.AddRange(OnnxGates.Reorder(source.Value.Span, o.Cell, o.HiddenSize, columns, GateLayout.PyTorch));
            }
        }
        string name = $"{prefix}{(kind switch { Kind.InputWeights => "W", Kind.RecurrentWeights => "R", _ => "B" })}_l{layer}";
        return kind == Kind.Biases
            ? graph.Floats(name, data.ToArray(), o.Directions, 2 * gates)
            : graph.Floats(name, data.ToArray(), o.Directions, gates, columns);
    }

    /// <summary>Rows [layer·D, (layer+1)·D) of a [L·D, B, H] state.</summary>
    private static string LayerSlice(OnnxGraph graph, string state, string prefix, string what, int layer, int directions)
    {
        string starts = graph.Int64s($"{prefix}{what}_l{layer}_start", [layer * directions]);
        string ends = graph.Int64s($"{prefix}{what}_l{layer}_end", [(layer + 1) * directions]);
        string axes = graph.Int64s($"{prefix}{what}_l{layer}_axes", [0]);
        return graph.Node("Slice", [state, starts, ends, axes]);
    }
}
