// What the generic training loop needs from a task (language model, classifier, tagger, …).
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>A task the <see cref="Trainer"/> can train: its model, its batches, its evaluation.</summary>
public interface ITrainingTask
{
    /// <summary>The model whose parameters are trained and saved.</summary>
    IModule Model { get; }

    /// <summary>The metric that decides the best model (e.g. <c>loss</c>, <c>macro_f1</c>).</summary>
    string PrimaryMetric { get; }

    /// <summary>Whether a larger primary metric is better.</summary>
    bool HigherIsBetter { get; }

    /// <summary>Whether the loss is reported in bits per token too (language models: bpc).</summary>
    bool ReportsBitsPerToken { get; }

    /// <summary>Training steps in one pass over the training data.</summary>
    int StepsPerEpoch { get; }

    /// <summary>Passes over the training data completed so far.</summary>
    int EpochsCompleted { get; }

    /// <summary>Fraction of the current pass done, 0…1.</summary>
    double EpochProgress { get; }

    /// <summary>
    /// Builds the loss of the next training batch on <paramref name="tape"/> (training mode), advancing the data
    /// cursor. Returns the loss (a mean over <c>Tokens</c> targets) and the number of targets.
    /// </summary>
    (Variable Loss, int Tokens) NextBatch(Tape tape, Rng dropoutRng);

    /// <summary>Metrics on the validation data (no gradient, evaluation mode); must include <see cref="PrimaryMetric"/>.</summary>
    IReadOnlyDictionary<string, double> Evaluate();

    /// <summary>A short generated sample to show at evaluations, or null for tasks that do not generate.</summary>
    string? Sample(ulong seed);

    /// <summary>Tensors of the data cursor's state (e.g. the carried recurrent state), saved with each checkpoint.</summary>
    IReadOnlyList<KeyValuePair<string, Tensor>> SaveStateTensors();

    /// <summary>The data cursor as JSON, saved in trainer.json.</summary>
    JsonObject SaveCursor();

    /// <summary>Restores the data cursor and its tensors from a checkpoint.</summary>
    void LoadState(JsonObject cursor, IReadOnlyDictionary<string, Tensor> tensors);
}
