// Training a language model with stateful truncated BPTT, as char-rnn does: the training text is cut into
// B parallel streams; each update continues where the last stopped and carries the (detached) state.
// TBPTT(k1, k2): every update advances k1 steps and back-propagates k2 ≥ k1 steps. The window of an update
// is [p0, p + k1): the k1 new steps and up to k2 − k1 steps of history, started from the state saved at p0.
// The window is run in two chunks split at q = p + k1 − (k2 − k1), the next window's start, so the state at q
// comes out exactly (and stays differentiable inside this window); the loss counts the k1 new steps only.
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>Batching settings of language-model training.</summary>
public sealed record LanguageModelTrainingSettings
{
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public LanguageModelTrainingSettings(int batchSize = 64, int bptt = 100, int? bpttBack = null, int sampleLength = 200)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "--batch must be ≥ 1.");
        if (bptt < 1) throw new ArgumentOutOfRangeException(nameof(bptt), bptt, "--bptt must be ≥ 1.");
        if (bpttBack is int back && back < bptt) throw new ArgumentOutOfRangeException(nameof(bpttBack), bpttBack, $"--bptt-back must be ≥ --bptt ({bptt}).");
        (BatchSize, Bptt, BpttBack, SampleLength) = (batchSize, bptt, bpttBack ?? bptt, sampleLength);
    }

    public int BatchSize { get; }

    /// <summary>k1: steps each update advances.</summary>
    public int Bptt { get; }

    /// <summary>k2 ≥ k1: steps each update back-propagates through.</summary>
    public int BpttBack { get; }

    /// <summary>Characters of the sample shown at each evaluation (0 = none).</summary>
    public int SampleLength { get; }
}

/// <summary>The language model as an <see cref="ITrainingTask"/>.</summary>
public sealed class LanguageModelTask : ITrainingTask
{
    private readonly LanguageModel _model;
    private readonly LanguageModelTrainingSettings _settings;
    private readonly TokenStreams _streams;
    private readonly int[] _valid;
    private readonly double _validCharactersPerToken;
    private readonly int[] _inputs, _targets;
    private int _position, _historyStart, _epochs;
    private CarriedState _historyState;

    /// <summary>Trains <paramref name="model"/> on token ids <paramref name="train"/>, validating on <paramref name="valid"/>.</summary>
    public LanguageModelTask(LanguageModel model, int[] train, int[] valid, double validCharactersPerToken, LanguageModelTrainingSettings settings)
    {
        (_model, _settings, _valid, _validCharactersPerToken) = (model, settings, valid, validCharactersPerToken);
        _streams = new TokenStreams(train, settings.BatchSize);
        int window = settings.BpttBack * settings.BatchSize;
        _inputs = new int[window];
        _targets = new int[window];
        _historyState = ZeroState();
    }

    public IModule Model => _model.Network;
    public string PrimaryMetric => "loss";
    public bool HigherIsBetter => false;
    public bool ReportsBitsPerToken => _model.Config.Tokenizer == TokenizerKind.Character;
    public int StepsPerEpoch => (_streams.StreamLength + _settings.Bptt - 1) / _settings.Bptt;
    public int EpochsCompleted => _epochs;
    public double EpochProgress => (double)_position / _streams.StreamLength;

    private CarriedState ZeroState()
    {
        var s = _model.Network.Shape;
        return CarriedState.Zeros(s.Layers, _settings.BatchSize, s.HiddenSize, s.Cell.HasCellState());
    }

    public (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng)
    {
        int b = _settings.BatchSize, length = _streams.StreamLength;
        if (_position >= length)
        {
            _position = _historyStart = 0;
            _historyState = ZeroState();
            _epochs++;
        }
        int steps = Math.Min(_settings.Bptt, length - _position);
        int end = _position + steps, windowSteps = end - _historyStart;
        int split = Math.Clamp(end - (_settings.BpttBack - _settings.Bptt), _historyStart, end);
        Span<int> inputs = _inputs.AsSpan(0, windowSteps * b), targets = _targets.AsSpan(0, windowSteps * b);
        _streams.Fill(_historyStart, windowSteps, inputs, targets);
        // History steps are context only: their targets are ignored.
        targets[..((_position - _historyStart) * b)].Fill(-100);

        LanguageModelNetwork net = _model.Network;
        RecurrentState state = _historyState.AsState();
        Variable? lossA = null, lossB = null;
        RecurrentState? atSplit = null;
        int stepsA = split - _historyStart;
        if (stepsA > 0)
        {
            var (logits, final) = net.Forward(tape, inputs[..(stepsA * b)], stepsA, b, state, dropoutRng);
            lossA = tape.CrossEntropy(logits, targets[..(stepsA * b)], reduction: CrossEntropyReduction.Sum);
            state = atSplit = final;
        }
        int stepsB = end - split;
        if (stepsB > 0)
        {
            var (logits, _) = net.Forward(tape, inputs[(stepsA * b)..], stepsB, b, state, dropoutRng);
            lossB = tape.CrossEntropy(logits, targets[(stepsA * b)..], reduction: CrossEntropyReduction.Sum);
        }
        Variable total = lossA is null ? lossB! : lossB is null ? lossA : tape.Add(lossA, lossB);
        Variable loss = tape.Scale(total, 1f / (steps * b));
        if (atSplit is not null) _historyState = CarriedState.CopyOf(atSplit);
        _historyStart = split;
        _position = end;
        return (loss, steps * b);
    }

    public IReadOnlyDictionary<string, double> Evaluate()
    {
        LanguageModelScore score = LanguageModelEvaluator.Evaluate(_model.Network, _valid, _validCharactersPerToken);
        return new Dictionary<string, double> { ["loss"] = score.Loss, ["bpc"] = score.BitsPerCharacter, ["perplexity"] = score.Perplexity };
    }

    public string? Sample(ulong seed)
    {
        if (_settings.SampleLength == 0) return null;
        return string.Concat(TextGenerator.Generate(_model, "\n", new SampleOptions(_settings.SampleLength, 0.8f, seed: seed)));
    }

    public IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors()
    {
        var list = new List<KeyValuePair<string, Tensor>> { new("h", _historyState.H) };
        if (_historyState.C is not null) list.Add(new("c", _historyState.C));
        return list;
    }

    public JsonObject SaveCursor() => new() { ["position"] = _position, ["history_start"] = _historyStart, ["epochs"] = _epochs };

    public void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors)
    {
        _position = cursor["position"]!.GetValue<int>();
        _historyStart = cursor["history_start"]!.GetValue<int>();
        _epochs = cursor["epochs"]!.GetValue<int>();
        if (_position < 0 || _position > _streams.StreamLength || _historyStart < 0 || _historyStart > _position)
            throw new RecurrentDataException($"trainer.json: the data cursor (position {_position}) does not fit this training text ({_streams.StreamLength} steps per stream); resume with the same --data, --batch and --valid settings.");
        CarriedState zero = ZeroState();
        if (!tensors.TryGetValue("h", out Tensor? h) || !h.SameShape(zero.H))
            throw new RecurrentDataException($"checkpoint: the carried state 'state.h' is missing or not {zero.H.ShapeText}; resume with the same --batch.");
        Tensor? c = null;
        if (zero.C is not null && (!tensors.TryGetValue("c", out c) || !c.SameShape(zero.C)))
            throw new RecurrentDataException($"checkpoint: the carried cell state 'state.c' is missing or not {zero.C.ShapeText}.");
        _historyState = CarriedState.From(h.Clone(), c?.Clone());
    }
}
