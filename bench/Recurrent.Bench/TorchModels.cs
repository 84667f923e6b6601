// The libtorch side of the model benchmarks: the same configurations as Recurrent.Cli.Bench.BenchConfig,
// built from torch.nn modules (Embedding → RNN/LSTM/GRU → Linear) with Adam and cross-entropy.
using Recurrent.Cli.Bench;
using CellKind = Recurrent.Nn.CellKind;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Recurrent.Bench;

internal sealed class TorchModel
{
    private readonly BenchConfig _c;
    private readonly Embedding _embedding;
    private readonly nn.Module<Tensor, Tensor?, (Tensor, Tensor)>? _rnnOrGru;
    private readonly LSTM? _lstm;
    private readonly Linear _head;
    private readonly optim.Optimizer _adam;
    private readonly Tensor _x, _y;

    public TorchModel(BenchConfig c)
    {
        _c = c;
        manual_seed(1);
        int d = c.Bidirectional ? 2 : 1;
        _embedding = nn.Embedding(c.Vocabulary, c.Embed);
        switch (c.Cell)
        {
            case CellKind.Lstm: _lstm = nn.LSTM(c.Embed, c.Hidden, numLayers: c.Layers, bidirectional: c.Bidirectional); break;
            case CellKind.Gru: _rnnOrGru = nn.GRU(c.Embed, c.Hidden, numLayers: c.Layers, bidirectional: c.Bidirectional); break;
            default: _rnnOrGru = nn.RNN(c.Embed, c.Hidden, numLayers: c.Layers, bidirectional: c.Bidirectional); break;
        }
        _head = nn.Linear(d * c.Hidden, c.Classes ?? c.Vocabulary);
        var parameters = _embedding.parameters().Concat(_lstm?.parameters() ?? _rnnOrGru!.parameters()).Concat(_head.parameters()).ToList();
        _adam = optim.Adam(parameters, lr: 1e-3);
        _x = randint(c.Vocabulary, [c.Seq, c.Batch], dtype: int64);
        _y = randint(c.Classes ?? c.Vocabulary, c.Classes is null ? [c.Seq * c.Batch] : [c.Batch], dtype: int64);
    }

    public int TokensPerBatch => _c.Seq * _c.Batch;

    public void TrainStep()
    {
        using var scope = NewDisposeScope();
        Tensor loss = nn.functional.cross_entropy(Logits(), _y);
        _adam.zero_grad();
        loss.backward();
        _adam.step();
    }

    public void InferStep()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Logits();
    }

    private Tensor Logits()
    {
        Tensor e = _embedding.forward(_x);
        Tensor output, hN;
        if (_lstm is not null) (output, hN, _) = _lstm.forward(e);
        else (output, hN) = _rnnOrGru!.forward(e, null);
        if (_c.Classes is null) return _head.forward(output.reshape(_c.Seq * _c.Batch, output.shape[2]));
        int d = _c.Bidirectional ? 2 : 1;
        Tensor last = d == 2 ? cat([hN[hN.shape[0] - 2], hN[hN.shape[0] - 1]], 1) : hN[hN.shape[0] - 1];
        return _head.forward(last);
    }
}

/// <summary>Generation with libtorch the fair way: LSTMCell per layer, batch 1, sampling each token.</summary>
internal sealed class TorchGenerator
{
    private readonly Embedding _embedding = nn.Embedding(96, 128);
    private readonly LSTMCell _cell1 = nn.LSTMCell(128, 512), _cell2 = nn.LSTMCell(512, 512);
    private readonly Linear _head = nn.Linear(512, 96);
    private Tensor _h1 = zeros(1, 512), _c1 = zeros(1, 512), _h2 = zeros(1, 512), _c2 = zeros(1, 512);
    private long _token = 10;

    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor x = _embedding.forward(tensor(new long[] { _token }));
        (Tensor h1, Tensor c1) = _cell1.forward(x, (_h1, _c1));
        (Tensor h2, Tensor c2) = _cell2.forward(h1, (_h2, _c2));
        Tensor probabilities = nn.functional.softmax(_head.forward(h2), 1);
        _token = multinomial(probabilities, 1).item<long>();
        _h1 = h1.MoveToOuterDisposeScope(); _c1 = c1.MoveToOuterDisposeScope();
        _h2 = h2.MoveToOuterDisposeScope(); _c2 = c2.MoveToOuterDisposeScope();
    }
}
