// The data cursor of tasks that see their examples in shuffled batches (classification, tagging, seq2seq,
// captioning): epochs of batches planned from a seeded random stream, which batch comes next, and the state
// saved in trainer.json so that a resumed run takes exactly the batches an uninterrupted one would.
// Resuming re-plans the current epoch from the random state saved at its start, then skips the batches done.
using System.Globalization;
using System.Text.Json.Nodes;
using Recurrent.Tensors;

namespace Recurrent.Data;

/// <summary>Seeded epochs of batches of example indices, with a cursor that saves and resumes exactly.</summary>
public sealed class ShuffledEpochs
{
    private readonly Func<Rng, int[][]> _planEpoch;
    private readonly Rng _shuffle;
    private ulong[] _epochStartState;
    private int[][] _plan;
    private int _batchIndex;

    /// <summary>Plans the first epoch.</summary>
    /// <param name="seed">Seed of the shuffle (mixed with a per-task constant by the caller, so tasks differ).</param>
    /// <param name="planEpoch">Plans one epoch: the batches (arrays of example indices) in order, drawing any randomness from the given Rng.</param>
    public ShuffledEpochs(ulong seed, Func<Rng, int[][]> planEpoch)
    {
        _planEpoch = planEpoch ?? throw new ArgumentNullException(nameof(planEpoch));
        _shuffle = new Rng(seed);
        _epochStartState = _shuffle.GetState();
        _plan = planEpoch(_shuffle);
        if (_plan.Length == 0) throw new ArgumentException("ShuffledEpochs: an epoch must hold at least one batch.", nameof(planEpoch));
    }

    /// <summary>Batches in one epoch.</summary>
    public int StepsPerEpoch => _plan.Length;

    /// <summary>Epochs completed so far.</summary>
    public int EpochsCompleted { get; private set; }

    /// <summary>Fraction of the current epoch done, 0…1.</summary>
    public double EpochProgress => (double)_batchIndex / _plan.Length;

    /// <summary>The next batch's example indices; starts a new, freshly shuffled epoch when the current one is done.</summary>
    public int[] Next()
    {
        if (_batchIndex >= _plan.Length)
        {
            EpochsCompleted++;
            _batchIndex = 0;
            _epochStartState = _shuffle.GetState();
            _plan = _planEpoch(_shuffle);
        }
        return _plan[_batchIndex++];
    }

    /// <summary>The cursor for trainer.json: epochs done, batches done in this epoch, the random state at its start.</summary>
    public JsonObject Save() => new()
    {
        ["epochs"] = EpochsCompleted,
        ["batch_index"] = _batchIndex,
        ["shuffle_state"] = new JsonArray(_epochStartState.Select(v => (JsonNode)v.ToString(CultureInfo.InvariantCulture)).ToArray()),
    };

    /// <summary>Restores a cursor written by <see cref="Save"/>.</summary>
    /// <exception cref="RecurrentDataException">The cursor does not fit this data (another --data or --batch).</exception>
    public void Load(JsonObject cursor)
    {
        EpochsCompleted = cursor["epochs"]!.GetValue<int>();
        _batchIndex = cursor["batch_index"]!.GetValue<int>();
        _epochStartState = cursor["shuffle_state"]!.AsArray().Select(v => ulong.Parse(v!.GetValue<string>(), CultureInfo.InvariantCulture)).ToArray();
        _shuffle.SetState(_epochStartState);
        _plan = _planEpoch(_shuffle);
        if (_batchIndex < 0 || _batchIndex > _plan.Length)
            throw new RecurrentDataException($"trainer.json: batch {_batchIndex} of an epoch of {_plan.Length} batches; resume with the same --data and --batch.");
    }
}
