// Recurrent-layer fixtures: one forward and backward of torch.nn.RNN (tanh, relu), LSTM and GRU for every
// combination of 1 or 2 layers, one or two directions, and equal or mixed sequence lengths.
// Legend: T time, B batch, I input features, H hidden, L layers, D directions. Input is time-major [T, B, I].
// Mixed lengths go through pack_padded_sequence(enforce_sorted: false) and pad_packed_sequence(total_length: T),
// so padded outputs are zero and h_n/c_n hold each sequence's state at its own last step.
// Backward runs on L = Σ output·grad_output + Σ h_n·grad_h_n (+ Σ c_n·grad_c_n), with grad_output zero at
// padded positions.
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Recurrent.Fixtures;

internal enum CellKind { RnnTanh, RnnRelu, Lstm, Gru }

internal static class RecurrentFixtures
{
    private const int InputSize = 3, HiddenSize = 4, Batch = 3, Time = 5;
    private static readonly long[] MixedLengths = [5, 3, 2];

    /// <summary>Writes all recurrent fixtures; seeds are 1000, 1001, ... in file order.</summary>
    public static IEnumerable<string> WriteAll(string outputFolder)
    {
        int seed = 1000;
        foreach (var cell in new[] { CellKind.RnnTanh, CellKind.RnnRelu, CellKind.Lstm, CellKind.Gru })
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bidirectional in new[] { false, true })
                    foreach (bool mixed in new[] { false, true })
                    {
                        string fileName = $"{CellName(cell)}_l{layers}_{(bidirectional ? "bi" : "uni")}_{(mixed ? "mixed" : "equal")}.json";
                        Write(Path.Combine(outputFolder, fileName), cell, layers, bidirectional, mixed ? MixedLengths : null, seed++);
                        yield return fileName;
                    }
    }

    public static string CellName(CellKind cell) => cell switch
    {
        CellKind.RnnTanh => "rnn_tanh",
        CellKind.RnnRelu => "rnn_relu",
        CellKind.Lstm => "lstm",
        CellKind.Gru => "gru",
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown cell kind."),
    };

    private static void Write(string path, CellKind cell, int layers, bool bidirectional, long[]? lengths, int seed)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(seed);
        int directions = bidirectional ? 2 : 1;
        nn.Module module = cell switch
        {
            CellKind.RnnTanh => nn.RNN(InputSize, HiddenSize, layers, nn.NonLinearities.Tanh, bias: true, batchFirst: false, dropout: 0, bidirectional: bidirectional),
            CellKind.RnnRelu => nn.RNN(InputSize, HiddenSize, layers, nn.NonLinearities.ReLU, bias: true, batchFirst: false, dropout: 0, bidirectional: bidirectional),
            CellKind.Lstm => nn.LSTM(InputSize, HiddenSize, layers, bias: true, batchFirst: false, dropout: 0, bidirectional: bidirectional),
            CellKind.Gru => nn.GRU(InputSize, HiddenSize, layers, bias: true, batchFirst: false, dropout: 0, bidirectional: bidirectional),
            _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "Unknown cell kind."),
        };
        var parameters = module.named_parameters().ToList();

        var input = randn([Time, Batch, InputSize], requires_grad: true);                 // [T, B, I]
        var h0 = randn([layers * directions, Batch, HiddenSize], requires_grad: true);     // [L·D, B, H]
        Tensor? c0 = cell == CellKind.Lstm ? randn([layers * directions, Batch, HiddenSize], requires_grad: true) : null;

        var (output, hN, cN) = Forward(module, input, h0, c0, lengths);                   // [T, B, D·H], [L·D, B, H]

        var gradOutput = randn([Time, Batch, directions * HiddenSize]);
        if (lengths is not null) gradOutput.mul_(ValidMask(lengths));
        var gradHN = randn(hN.shape);
        Tensor? gradCN = cN is null ? null : randn(cN.shape);

        var loss = (output * gradOutput).sum() + (hN * gradHN).sum();
        if (cN is not null) loss = loss + (cN * gradCN!).sum();
        loss.backward();

        if (lengths is not null) CheckPacked(output, hN, lengths, layers, directions);

        var config = new JsonObject
        {
            ["cell"] = CellName(cell),
            ["input_size"] = InputSize,
            ["hidden_size"] = HiddenSize,
            ["num_layers"] = layers,
            ["bidirectional"] = bidirectional,
            ["batch"] = Batch,
            ["time"] = Time,
            ["lengths"] = lengths is null ? null : new JsonArray(lengths.Select(l => (JsonNode?)l).ToArray()),
        };
        var writer = new FixtureWriter(seed, config);
        writer.Add("input", input);
        writer.Add("h0", h0);
        if (c0 is not null) writer.Add("c0", c0);
        foreach (var (name, parameter) in parameters) writer.Add(name, parameter);
        writer.Add("output", output);
        writer.Add("h_n", hN);
        if (cN is not null) writer.Add("c_n", cN);
        writer.Add("grad_output", gradOutput);
        writer.Add("grad_h_n", gradHN);
        if (gradCN is not null) writer.Add("grad_c_n", gradCN);
        writer.Add("grad.input", GradOf(input, "input"));
        writer.Add("grad.h0", GradOf(h0, "h0"));
        if (c0 is not null) writer.Add("grad.c0", GradOf(c0, "c0"));
        foreach (var (name, parameter) in parameters) writer.Add("grad." + name, GradOf(parameter, name));
        writer.Save(path);
    }

    private static (Tensor Output, Tensor HN, Tensor? CN) Forward(nn.Module module, Tensor input, Tensor h0, Tensor? c0, long[]? lengths)
    {
        if (lengths is null)
        {
            switch (module)
            {
                case RNN rnn: { var (o, h) = rnn.call(input, h0); return (o, h, null); }
                case GRU gru: { var (o, h) = gru.call(input, h0); return (o, h, null); }
                case LSTM lstm: { var (o, h, c) = lstm.call(input, (h0, c0!)); return (o, h, c); }
            }
        }
        else
        {
            var packed = nn.utils.rnn.pack_padded_sequence(input, tensor(lengths), batch_first: false, enforce_sorted: false);
            switch (module)
            {
                case RNN rnn: { var (o, h) = rnn.call(packed, h0); return (Pad(o), h, null); }
                case GRU gru: { var (o, h) = gru.call(packed, h0); return (Pad(o), h, null); }
                case LSTM lstm: { var (o, h, c) = lstm.call(packed, (h0, c0!)); return (Pad(o), h, c); }
            }
        }
        throw new ArgumentException($"Unexpected module type {module.GetType().Name}; expected RNN, LSTM or GRU.", nameof(module));
    }

    private static Tensor Pad(nn.utils.rnn.PackedSequence packed)
    {
        var (padded, _) = nn.utils.rnn.pad_packed_sequence(packed, batch_first: false, padding_value: 0, total_length: Time);
        return padded;
    }

    /// <summary>1 where t &lt; lengths[b], else 0: [T, B, 1].</summary>
    private static Tensor ValidMask(long[] lengths)
    {
        var mask = zeros([Time, Batch, 1]);
        for (int b = 0; b < Batch; b++)
            mask[TensorIndex.Slice(0, lengths[b]), b] = ones([lengths[b], 1]);
        return mask;
    }

    private static Tensor GradOf(Tensor leaf, string name) =>
        leaf.grad ?? throw new InvalidOperationException($"No gradient reached '{name}'; the backward pass did not cover it.");

    /// <summary>
    /// Guards the packed path: padded outputs are zero, and the last layer's final states equal the output at each
    /// sequence's own last step (forward direction) or first step (reverse direction).
    /// </summary>
    private static void CheckPacked(Tensor output, Tensor hN, long[] lengths, int layers, int directions)
    {
        for (int b = 0; b < Batch; b++)
        {
            long length = lengths[b];
            if (length < Time && output[TensorIndex.Slice(length, Time), b].abs().max().item<float>() != 0)
                throw new InvalidOperationException($"Batch item {b}: output past its length {length} is not zero.");
            var forwardLast = output[length - 1, b, TensorIndex.Slice(0, HiddenSize)];
            if (!forwardLast.allclose(hN[(layers - 1) * directions, b], rtol: 0, atol: 0))
                throw new InvalidOperationException($"Batch item {b}: h_n of the forward direction differs from output at step {length - 1}.");
            if (directions == 2 && !output[0, b, TensorIndex.Slice(HiddenSize, 2 * HiddenSize)].allclose(hN[(layers - 1) * directions + 1, b], rtol: 0, atol: 0))
                throw new InvalidOperationException($"Batch item {b}: h_n of the reverse direction differs from output at step 0.");
        }
    }
}
