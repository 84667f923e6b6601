// The display of one `rnn <task> train` run: the console observer, one-line messages, and the loss plot
// drawn from metrics.jsonl when the run ends (also when it fails or is stopped).
using System.Text.Json.Nodes;
using Recurrent.Training;

namespace Recurrent.Cli.Output;

/// <summary>Owns the console observer of a training run and draws its plot.</summary>
internal sealed class TrainingDisplays : IDisposable
{
    private readonly ConsoleTrainingObserver _observer;

    private TrainingDisplays(ConsoleTrainingObserver observer) => _observer = observer;

    public static TrainingDisplays Create(bool bitsPerToken) => new(new ConsoleTrainingObserver(bitsPerToken));

    public ITrainingObserver Observer => _observer;

    public void Message(string text) => _observer.OnMessage(text);

    /// <summary>
    /// Trains <paramref name="task"/> into <paramref name="runDir"/> (continuing its last checkpoint when
    /// <paramref name="resume"/>), then says where the best model is; the loss plot is drawn however the run ends.
    /// </summary>
    public TrainingSummary Train(ITrainingTask task, TrainOptions options, string runDir, bool resume, CancellationToken cancel,
        Func<TrainingSummary, string> describeBest)
    {
        var trainer = new Trainer(task, options, runDir, _observer);
        if (resume) trainer.Resume();
        try
        {
            TrainingSummary summary = trainer.Run(cancel);
            Message(describeBest(summary));
            return summary;
        }
        finally
        {
            SavePlot(runDir);
        }
    }

    /// <summary>Draws loss.png in the run folder from its metrics.jsonl (training and validation loss against step).</summary>
    public void SavePlot(string runDir)
    {
        string metrics = Path.Combine(runDir, RunFiles.Metrics);
        if (!File.Exists(metrics)) return;
        var train = new List<(double, double)>();
        var valid = new List<(double, double)>();
        foreach (string line in File.ReadLines(metrics))
        {
            if (JsonNode.Parse(line) is not JsonObject o || o["step"] is not JsonNode step) continue;
            if (o["train_loss"] is JsonNode t) train.Add((step.GetValue<double>(), t.GetValue<double>()));
            if (o["valid_loss"] is JsonNode v) valid.Add((step.GetValue<double>(), v.GetValue<double>()));
        }
        if (train.Count + valid.Count == 0) return;
        string path = Path.Combine(runDir, "loss.png");
        LossPlot.Save(path, train, valid, title: "training and validation loss");
        Message($"loss curves drawn in {path}");
    }

    public void Dispose() => _observer.Dispose();
}
