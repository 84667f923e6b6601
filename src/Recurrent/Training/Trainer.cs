// The training loop, shared by every task. It reads top to bottom:
//   next batch → forward → loss → zero grad → backward → clip → step → log,
// with evaluation and a checkpoint every N steps and at the end. Checkpoints are complete sets of files
// (latest weights + task state, optimizer state) named by step; trainer.json, written last and atomically,
// points to the current set, so a kill at any moment leaves a loadable checkpoint. The best model by the
// task's primary metric is model.safetensors. A NaN/Inf loss or gradient, or an exploding loss, stops the
// run with TrainingFailedException before anything from the bad step is saved.
using System.Diagnostics;
using System.Text.Json.Nodes;
using Recurrent.Autograd;
using Recurrent.Interop;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Training;

/// <summary>What a finished run reached.</summary>
public sealed record TrainingSummary(int Steps, double ElapsedSeconds, double BestMetric, int BestStep, string StopReason);

/// <summary>Trains a task in a run folder; can resume from the folder's checkpoint.</summary>
public sealed class Trainer
{
    private const double SmoothingDecay = 0.98;
    private readonly ITrainingTask _task;
    private readonly TrainOptions _options;
    private readonly string _runDir;
    private readonly ITrainingObserver _observer;
    private readonly IReadOnlyList<NamedParameter> _parameters;
    private readonly Optimizer _optimizer;
    private readonly ReduceOnPlateau? _plateau;
    private readonly Rng _dropoutRng;
    private TrainerProgressState _state = new();

    /// <summary>Prepares training; the run folder must exist and hold the task's config.json.</summary>
    public Trainer(ITrainingTask task, TrainOptions options, string runDir, ITrainingObserver observer)
    {
        (_task, _options, _runDir, _observer) = (task, options, runDir, observer);
        _parameters = task.Model.NamedParameters();
        _optimizer = OptimizerFactory.Create(options, _parameters);
        if (options.Schedule == ScheduleKind.Plateau)
            _plateau = new ReduceOnPlateau(task.HigherIsBetter ? PlateauMode.Max : PlateauMode.Min, factor: 0.5f, patience: 2, minLr: options.LearningRate / 100);
        _dropoutRng = new Rng(options.Seed ^ 0x5EED_D0D0UL);
    }

    /// <summary>Whether the run folder has a checkpoint to resume from.</summary>
    public static bool HasCheckpoint(string runDir) => File.Exists(Path.Combine(runDir, RunFiles.Trainer));

    /// <summary>Restores weights, optimizer, data cursor, random state and history from the folder's checkpoint.</summary>
    /// <exception cref="RecurrentDataException">The checkpoint is missing or damaged.</exception>
    public void Resume()
    {
        string trainerPath = Path.Combine(_runDir, RunFiles.Trainer);
        JsonObject json = RunFiles.ReadJsonObject(trainerPath);
        _state = TrainerProgressState.FromJson(json, trainerPath);
        SafeTensorsFile checkpoint = SafeTensors.Read(Path.Combine(_runDir, _state.CheckpointFile));
        foreach (var (name, parameter) in _parameters)
        {
            if (!checkpoint.Contains(name))
                throw new RecurrentDataException($"{_state.CheckpointFile}: tensor '{name}' is missing; the checkpoint does not belong to this model.");
            Tensor saved = checkpoint[name];
            if (!saved.SameShape(parameter.Value))
                throw new RecurrentDataException($"{_state.CheckpointFile}: tensor '{name}' is {saved.ShapeText} but the model needs {parameter.Value.ShapeText}.");
            saved.Span.CopyTo(parameter.Value.Span);
        }
        var taskTensors = checkpoint.Names.Where(n => n.StartsWith("state.", StringComparison.Ordinal))
            .ToDictionary(n => n["state.".Length..], n => checkpoint[n]);
        _task.LoadState(_state.Cursor, taskTensors);
        SafeTensorsFile optimizerFile = SafeTensors.Read(Path.Combine(_runDir, _state.OptimizerFile));
        _optimizer.LoadState(new OptimizerState(optimizerFile.Metadata.GetValueOrDefault("kind", ""),
            int.Parse(optimizerFile.Metadata.GetValueOrDefault("step_count", "0"), System.Globalization.CultureInfo.InvariantCulture),
            float.Parse(optimizerFile.Metadata.GetValueOrDefault("learning_rate", "0"), System.Globalization.CultureInfo.InvariantCulture),
            optimizerFile.Names.ToDictionary(n => n, n => optimizerFile[n])));
        _dropoutRng.SetState(_state.DropoutRng);
        if (_plateau is not null && _state.Plateau is { } plateau) _plateau.Load(plateau);
        TruncateMetrics(_state.Step);
        _observer.OnMessage($"resumed from step {_state.Step} ({_state.CheckpointFile})");
    }

    /// <summary>Trains until the budget is spent, early stopping triggers, or <paramref name="cancel"/> fires (then a checkpoint is written).</summary>
    /// <exception cref="TrainingFailedException">The loss or gradient became NaN/Inf, or the loss exploded.</exception>
    public TrainingSummary Run(CancellationToken cancel = default)
    {
        using var tape = new Tape();
        string stopReason = "budget spent";
        var clock = Stopwatch.StartNew();
        double elapsedBefore = _state.ElapsedSeconds;
        long intervalStart = Stopwatch.GetTimestamp();
        int intervalTokens = 0;
        double lastTokensPerSecond = 0;
        while (true)
        {
            double elapsed = elapsedBefore + clock.Elapsed.TotalSeconds;
            if (BudgetFraction(elapsed) >= 1) break;
            if (cancel.IsCancellationRequested) { stopReason = "stopped by request"; break; }

            // next batch → forward → loss
            float lr = _plateau is not null ? _state.PlateauRate ?? _options.LearningRate : OptimizerFactory.ScheduledRate(_options, _state.Step, BudgetFraction(elapsed));
            _optimizer.LearningRate = lr;
            tape.Training = true;
            var (loss, tokens) = _task.NextBatch(tape, _dropoutRng);
            float lossValue = loss.Value[0];
            if (!float.IsFinite(lossValue)) Fail($"the training loss is {lossValue}");
            // zero grad → backward → clip → step
            _optimizer.ZeroGrad();
            tape.Backward(loss);
            float norm = _options.Clip > 0
                ? GradientClipping.ClipByGlobalNorm(_parameters.Select(p => p.Parameter), _options.Clip)
                : GradientClipping.ClipByGlobalNorm(_parameters.Select(p => p.Parameter), float.MaxValue); // measures only
            if (!float.IsFinite(norm)) Fail($"the gradient norm is {norm}");
            _optimizer.Step();
            tape.Reset();
            _state.Step++;
            _state.AddLoss(lossValue, SmoothingDecay);
            if (_state.Step > 200 && _state.SmoothedLoss > 3 * _state.MinSmoothedLoss + 1)
                Fail($"the loss exploded (smoothed {_state.SmoothedLoss:F3}, best {_state.MinSmoothedLoss:F3})");

            // log
            intervalTokens += tokens;
            elapsed = elapsedBefore + clock.Elapsed.TotalSeconds;
            _state.ElapsedSeconds = elapsed;
            if (_state.Step % _options.LogEvery == 0)
            {
                double seconds = Stopwatch.GetElapsedTime(intervalStart).TotalSeconds;
                lastTokensPerSecond = intervalTokens / Math.Max(seconds, 1e-9);
                intervalTokens = 0;
                intervalStart = Stopwatch.GetTimestamp();
                AppendMetrics(TrainLine(lr, norm, lastTokensPerSecond));
            }
            _observer.OnStep(new TrainingProgress(_state.Step, _options.Steps ?? (_options.Epochs is int e ? e * _task.StepsPerEpoch : null),
                _task.EpochsCompleted + 1, _task.EpochProgress, elapsed, _options.Minutes * 60, BudgetFraction(elapsed),
                _state.ReportedLoss, lastTokensPerSecond, norm, lr));

            bool done = BudgetFraction(elapsed) >= 1;
            if (_state.Step % _options.EvalEvery == 0 || done)
            {
                clock.Stop();
                bool stop = EvaluateAndCheckpoint();
                clock.Start();
                intervalStart = Stopwatch.GetTimestamp();
                intervalTokens = 0;
                if (stop) { stopReason = $"early stopping: no improvement in {_options.Patience} evaluations"; break; }
            }
        }
        _state.ElapsedSeconds = elapsedBefore + clock.Elapsed.TotalSeconds;
        // A stop by request saves where it is without evaluating, so resuming reproduces an uninterrupted run.
        if (_state.LastCheckpointStep != _state.Step)
        {
            if (cancel.IsCancellationRequested) WriteCheckpoint();
            else EvaluateAndCheckpoint();
        }
        _observer.OnMessage($"finished after {_state.Step} steps: {stopReason}; best {_task.PrimaryMetric} {_state.BestMetric:F4} at step {_state.BestStep}");
        return new TrainingSummary(_state.Step, _state.ElapsedSeconds, _state.BestMetric, _state.BestStep, stopReason);
    }

    private double BudgetFraction(double elapsedSeconds)
    {
        if (_options.Steps is int steps) return (double)_state.Step / steps;
        if (_options.Epochs is int epochs) return (double)_state.Step / Math.Max(1, epochs * _task.StepsPerEpoch);
        return elapsedSeconds / (_options.Minutes!.Value * 60);
    }

    /// <summary>Evaluates, saves the best model, writes a checkpoint; returns whether early stopping triggers.</summary>
    private bool EvaluateAndCheckpoint()
    {
        IReadOnlyDictionary<string, double> metrics = _task.Evaluate();
        double primary = metrics[_task.PrimaryMetric];
        bool finite = double.IsFinite(primary);
        bool better = finite && (_state.BestStep < 0 || (_task.HigherIsBetter ? primary > _state.BestMetric : primary < _state.BestMetric));
        if (better)
        {
            _state.BestMetric = primary;
            _state.BestStep = _state.Step;
            _state.EvalsWithoutImprovement = 0;
            SafeTensors.Write(Path.Combine(_runDir, RunFiles.Model), _parameters.Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
        }
        else _state.EvalsWithoutImprovement++;
        if (_plateau is not null && finite) _state.PlateauRate = _plateau.Step((float)primary, _state.PlateauRate ?? _options.LearningRate);
        string? sample = _task.Sample(_options.Seed + (ulong)_state.Step);
        AppendMetrics(EvalLine(metrics));
        _observer.OnEvaluation(new EvaluationReport(_state.Step, metrics, better, sample));
        WriteCheckpoint();
        return _options.Patience > 0 && _state.EvalsWithoutImprovement >= _options.Patience;
    }

    private void WriteCheckpoint()
    {
        string checkpointFile = $"checkpoint-{_state.Step:D7}.safetensors", optimizerFile = $"optimizer-{_state.Step:D7}.safetensors";
        var tensors = _parameters.Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList();
        tensors.AddRange(_task.SaveStateTensors().Select(t => KeyValuePair.Create("state." + t.Key, t.Value)));
        SafeTensors.Write(Path.Combine(_runDir, checkpointFile), tensors);
        OptimizerState optimizerState = _optimizer.SaveState();
        SafeTensors.Write(Path.Combine(_runDir, optimizerFile), optimizerState.Tensors.ToList(), new Dictionary<string, string>
        {
            ["kind"] = optimizerState.Kind,
            ["step_count"] = optimizerState.StepCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["learning_rate"] = optimizerState.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        });
        string previousCheckpoint = _state.CheckpointFile, previousOptimizer = _state.OptimizerFile;
        _state.CheckpointFile = checkpointFile;
        _state.OptimizerFile = optimizerFile;
        _state.LastCheckpointStep = _state.Step;
        _state.DropoutRng = _dropoutRng.GetState();
        _state.Cursor = _task.SaveCursor();
        _state.Plateau = _plateau?.Save();
        RunFiles.WriteJsonAtomic(Path.Combine(_runDir, RunFiles.Trainer), _state.ToJson());
        if (previousCheckpoint.Length > 0 && previousCheckpoint != checkpointFile) RunFiles.TryDelete(Path.Combine(_runDir, previousCheckpoint));
        if (previousOptimizer.Length > 0 && previousOptimizer != optimizerFile) RunFiles.TryDelete(Path.Combine(_runDir, previousOptimizer));
    }

    private JsonObject TrainLine(float lr, float norm, double tokensPerSecond)
    {
        var line = new JsonObject
        {
            ["step"] = _state.Step,
            ["epoch"] = Math.Round(_task.EpochsCompleted + _task.EpochProgress, 4),
            ["train_loss"] = Math.Round(_state.ReportedLoss, 6),
        };
        if (_task.ReportsBitsPerToken) line["train_bpc"] = Math.Round(_state.ReportedLoss / Math.Log(2), 6);
        line["grad_norm"] = Math.Round(norm, 6);
        line["lr"] = lr;
        line["tokens_per_s"] = Math.Round(tokensPerSecond, 1);
        line["elapsed_s"] = Math.Round(_state.ElapsedSeconds, 2);
        return line;
    }

    private JsonObject EvalLine(IReadOnlyDictionary<string, double> metrics)
    {
        var line = new JsonObject { ["step"] = _state.Step, ["epoch"] = Math.Round(_task.EpochsCompleted + _task.EpochProgress, 4) };
        foreach (var (name, value) in metrics) line["valid_" + name] = double.IsFinite(value) ? Math.Round(value, 6) : null;
        line["elapsed_s"] = Math.Round(_state.ElapsedSeconds, 2);
        return line;
    }

    private void AppendMetrics(JsonObject line) =>
        File.AppendAllText(Path.Combine(_runDir, RunFiles.Metrics), line.ToJsonString() + "\n");

    /// <summary>Drops metrics lines written after the checkpoint being resumed (and a torn last line).</summary>
    private void TruncateMetrics(int step)
    {
        string path = Path.Combine(_runDir, RunFiles.Metrics);
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (string line in File.ReadAllLines(path))
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o["step"]?.GetValue<int>() <= step) kept.Add(line);
            }
            catch (System.Text.Json.JsonException) { }
        }
        RunFiles.WriteTextAtomic(path, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n");
    }

    private void Fail(string what) =>
        throw new TrainingFailedException($"training diverged at step {_state.Step + 1}: {what}. The last good checkpoint " +
            (_state.LastCheckpointStep > 0 ? $"(step {_state.LastCheckpointStep})" : "(none yet)") +
            " is kept; lower --lr or --clip, or resume with --resume.");
}
