// The options every `rnn <task> train` shares (budget, optimizer, schedule, evaluation, seed, resume),
// declared once so names, defaults and help read the same for every task.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json.Nodes;
using Recurrent.Training;

namespace Recurrent.Cli.Commands;

internal sealed class TrainingOptionsBinder
{
    public Option<int?> Steps { get; } = new("--steps") { Description = "Stop after N optimizer steps." };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "Stop after N passes over the training data." };
    public Option<double?> Minutes { get; } = new("--minutes") { Description = "Stop after this much training time (evaluation excluded)." };
    public Option<float?> LearningRate { get; } = new("--lr") { Description = "Learning rate." };
    public Option<string?> Optimizer { get; } = new("--optimizer") { Description = "adam, adamw, sgd, rmsprop or adagrad." };
    public Option<float?> WeightDecay { get; } = new("--weight-decay") { Description = "Weight decay (L2 for adam/sgd/rmsprop/adagrad, decoupled for adamw)." };
    public Option<float?> Clip { get; } = new("--clip") { Description = "Clip gradients to this global norm; 0 turns clipping off." };
    public Option<string?> Schedule { get; } = new("--schedule") { Description = "Learning-rate schedule: cosine (to 5% at the end of the budget), constant or plateau." };
    public Option<int?> Warmup { get; } = new("--warmup") { Description = "Linear warm-up steps." };
    public Option<int?> EvalEvery { get; } = new("--eval-every") { Description = "Evaluate and checkpoint every N steps." };
    public Option<int?> Patience { get; } = new("--patience") { Description = "Early stopping: stop after N evaluations without improvement (0 = off)." };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Random seed: the same seed gives the same run." };
    public Option<string?> Out { get; } = new("--out") { Description = "Run folder (default runs/<task>-<timestamp>)." };
    public Option<string?> Resume { get; } = new("--resume") { Description = "Continue the run in this folder exactly where its last checkpoint left it." };
    public Option<int?> Threads { get; } = CommonOptions.Threads();

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Steps, Epochs, Minutes, LearningRate, Optimizer, WeightDecay, Clip, Schedule, Warmup, EvalEvery, Patience, Seed, Out, Resume, Threads })
            command.Options.Add(option);
        Steps.Validators.Add(r => Positive(r, "--steps"));
        Epochs.Validators.Add(r => Positive(r, "--epochs"));
        Warmup.Validators.Add(r => NonNegative(r, "--warmup"));
        EvalEvery.Validators.Add(r => Positive(r, "--eval-every"));
        Patience.Validators.Add(r => NonNegative(r, "--patience"));
    }

    private static void Positive(OptionResult r, string name)
    {
        if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int v) && v < 1) r.AddError($"{name} must be ≥ 1; got {v}.");
    }

    private static void NonNegative(OptionResult r, string name)
    {
        if (r.Tokens.Count == 1 && int.TryParse(r.Tokens[0].Value, out int v) && v < 0) r.AddError($"{name} must be ≥ 0; got {v}.");
    }

    /// <summary>
    /// TrainOptions from the command line over <paramref name="saved"/> (a resumed run's options) over the
    /// task's defaults. The default budget applies when none is given.
    /// </summary>
    public TrainOptions Bind(ParseResult p, TrainOptions defaults, JsonObject? saved = null)
    {
        int? steps = p.GetValue(Steps), epochs = p.GetValue(Epochs);
        double? minutes = p.GetValue(Minutes);
        bool budgetGiven = steps is not null || epochs is not null || minutes is not null;
        if (!budgetGiven && saved is not null)
        {
            steps = saved["steps"]?.GetValue<int>();
            epochs = saved["epochs"]?.GetValue<int>();
            minutes = saved["minutes"]?.GetValue<double>();
        }
        else if (!budgetGiven)
            (steps, epochs, minutes) = (defaults.Steps, defaults.Epochs, defaults.Minutes);
        if ((steps is null ? 0 : 1) + (epochs is null ? 0 : 1) + (minutes is null ? 0 : 1) > 1)
            throw new ArgumentException("Give only one training budget: --steps, --epochs or --minutes.");
        T Pick<T>(Option<T?> option, string key, T fallback) where T : struct =>
            p.GetValue(option) ?? (saved?[key] is JsonNode n ? n.GetValue<T>() : fallback);
        string PickText(Option<string?> option, string key, string fallback) => p.GetValue(option) ?? saved?[key]?.GetValue<string>() ?? fallback;
        return new TrainOptions(steps, epochs, minutes,
            learningRate: Pick(LearningRate, "lr", defaults.LearningRate),
            optimizer: ParseOptimizer(PickText(Optimizer, "optimizer", defaults.Optimizer.ToString().ToLowerInvariant())),
            weightDecay: Pick(WeightDecay, "weight_decay", defaults.WeightDecay),
            clip: Pick(Clip, "clip", defaults.Clip),
            schedule: ParseSchedule(PickText(Schedule, "schedule", defaults.Schedule.ToString().ToLowerInvariant())),
            warmupSteps: Pick(Warmup, "warmup", defaults.WarmupSteps),
            evalEvery: Pick(EvalEvery, "eval_every", defaults.EvalEvery),
            patience: Pick(Patience, "patience", defaults.Patience),
            seed: Pick(Seed, "seed", defaults.Seed));
    }

    /// <summary>Applies --threads and resolves the run folder of a train command (see <see cref="ResolveRunFolder"/>).</summary>
    public TrainCommandRun Begin(ParseResult p, string task)
    {
        CommonOptions.ApplyThreads(p.GetValue(Threads));
        var (runDir, saved) = ResolveRunFolder(p, task);
        return new TrainCommandRun(p, runDir, saved);
    }

    /// <summary>
    /// The run folder and, with --resume, the training options saved in its config.json. A new run never
    /// reuses a folder that already holds one (nothing the user saved is overwritten).
    /// </summary>
    public (string RunDir, JsonObject? Saved) ResolveRunFolder(ParseResult p, string task)
    {
        string? resume = p.GetValue(Resume);
        if (resume is not null)
        {
            if (!Trainer.HasCheckpoint(resume))
                throw new ArgumentException($"--resume {resume}: no trainer.json there; pass the --out folder of an earlier 'rnn {task} train'.");
            string configPath = Path.Combine(resume, RunFiles.Config);
            JsonObject saved = RunFiles.ReadJsonObject(configPath)["training"]?.AsObject()
                ?? throw new RecurrentDataException($"{configPath}: the 'training' section is missing, so the run cannot be resumed.");
            return (resume, saved);
        }
        string runDir = p.GetValue(Out) ?? Path.Combine("runs", $"{task}-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (File.Exists(runDir))
            throw new ArgumentException($"--out {runDir}: that is a file; give a folder for the run (the file is left as it is).");
        if (File.Exists(Path.Combine(runDir, RunFiles.Config)) || File.Exists(Path.Combine(runDir, RunFiles.Trainer)))
            throw new ArgumentException($"--out {runDir}: that folder already holds a run; continue it with --resume {runDir}, or choose another --out.");
        return (runDir, null);
    }

    /// <summary>The options as saved in config.json's "training" object (resume reads them back).</summary>
    public static JsonObject ToJson(TrainOptions o) => new()
    {
        ["steps"] = o.Steps,
        ["epochs"] = o.Epochs,
        ["minutes"] = o.Minutes,
        ["lr"] = o.LearningRate,
        ["optimizer"] = o.Optimizer.ToString().ToLowerInvariant(),
        ["weight_decay"] = o.WeightDecay,
        ["clip"] = o.Clip,
        ["schedule"] = o.Schedule.ToString().ToLowerInvariant(),
        ["warmup"] = o.WarmupSteps,
        ["eval_every"] = o.EvalEvery,
        ["patience"] = o.Patience,
        ["seed"] = o.Seed,
    };

    public static OptimizerKind ParseOptimizer(string text) => text.ToLowerInvariant() switch
    {
        "adam" => OptimizerKind.Adam,
        "adamw" => OptimizerKind.AdamW,
        "sgd" => OptimizerKind.Sgd,
        "rmsprop" => OptimizerKind.RmsProp,
        "adagrad" => OptimizerKind.Adagrad,
        _ => throw new ArgumentException($"--optimizer must be adam, adamw, sgd, rmsprop or adagrad; got '{text}'."),
    };

    public static ScheduleKind ParseSchedule(string text) => text.ToLowerInvariant() switch
    {
        "cosine" => ScheduleKind.Cosine,
        "constant" => ScheduleKind.Constant,
        "plateau" => ScheduleKind.Plateau,
        _ => throw new ArgumentException($"--schedule must be cosine, constant or plateau; got '{text}'."),
    };
}

/// <summary>
/// A train command's run folder, the options saved in it when resuming, and how an option's value is chosen:
/// given on the command line, else as saved by the run being resumed, else the default.
/// </summary>
internal sealed class TrainCommandRun(ParseResult parse, string runDir, JsonObject? saved)
{
    public string RunDir => runDir;

    /// <summary>The "training" object of the resumed run's config.json, or null for a new run.</summary>
    public JsonObject? Saved => saved;

    public T Pick<T>(Option<T?> option, string key, T fallback) where T : struct =>
        parse.GetValue(option) ?? (saved?[key] is JsonNode n ? n.GetValue<T>() : fallback);

    public string? PickText(Option<string?> option, string key) => parse.GetValue(option) ?? saved?[key]?.GetValue<string>();
}
