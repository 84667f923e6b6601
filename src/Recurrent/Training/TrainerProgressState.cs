// The loop's own state, saved in trainer.json with each checkpoint so a resumed run continues exactly.
using System.Text.Json.Nodes;
using Recurrent.Optim;

namespace Recurrent.Training;

internal sealed class TrainerProgressState
{
    public const int FormatVersion = 1;
    public int Step;
    public double ElapsedSeconds;
    public double BestMetric = double.NaN;
    public int BestStep = -1;
    public int EvalsWithoutImprovement;
    public double SmoothedLossRaw;
    public double SmoothingWeight;   // 1 − decay^n, for bias correction
    public double MinSmoothedLoss = double.PositiveInfinity;
    public int LastCheckpointStep;
    public string CheckpointFile = "";
    public string OptimizerFile = "";
    public ulong[] DropoutRng = [];
    public JsonObject Cursor = new();
    public float? PlateauRate;
    public ReduceOnPlateauState? Plateau;

    public double SmoothedLoss => SmoothingWeight > 0 ? SmoothedLossRaw / SmoothingWeight : double.NaN;

    /// <summary>The loss shown and logged: bias-corrected exponential moving average.</summary>
    public double ReportedLoss => SmoothedLoss;

    public void AddLoss(double loss, double decay)
    {
        SmoothedLossRaw = decay * SmoothedLossRaw + (1 - decay) * loss;
        SmoothingWeight = decay * SmoothingWeight + (1 - decay);
        if (Step >= 50) MinSmoothedLoss = Math.Min(MinSmoothedLoss, SmoothedLoss);
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["format_version"] = FormatVersion,
            ["step"] = Step,
            ["elapsed_seconds"] = ElapsedSeconds,
            ["best_metric"] = double.IsFinite(BestMetric) ? BestMetric : null,
            ["best_step"] = BestStep,
            ["evals_without_improvement"] = EvalsWithoutImprovement,
            ["smoothed_loss_raw"] = SmoothedLossRaw,
            ["smoothing_weight"] = SmoothingWeight,
            ["min_smoothed_loss"] = double.IsFinite(MinSmoothedLoss) ? MinSmoothedLoss : null,
            ["checkpoint"] = CheckpointFile,
            ["optimizer"] = OptimizerFile,
            ["dropout_rng"] = new JsonArray(DropoutRng.Select(v => (JsonNode)v.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()),
            ["cursor"] = Cursor.DeepClone(),
            ["plateau_rate"] = PlateauRate,
        };
        if (Plateau is { } p)
            o["plateau"] = new JsonObject { ["best"] = p.Best, ["bad_steps"] = p.BadSteps, ["cooldown"] = p.CooldownCounter, ["steps"] = p.StepCount };
        return o;
    }

    public static TrainerProgressState FromJson(JsonObject o, string path)
    {
        try
        {
            int version = o["format_version"]!.GetValue<int>();
            if (version != FormatVersion)
                throw new RecurrentDataException($"{path}: format version {version} is not supported (expected {FormatVersion}); retrain with this version of rnn.");
            var s = new TrainerProgressState
            {
                Step = o["step"]!.GetValue<int>(),
                ElapsedSeconds = o["elapsed_seconds"]!.GetValue<double>(),
                BestMetric = o["best_metric"]?.GetValue<double>() ?? double.NaN,
                BestStep = o["best_step"]!.GetValue<int>(),
                EvalsWithoutImprovement = o["evals_without_improvement"]!.GetValue<int>(),
                SmoothedLossRaw = o["smoothed_loss_raw"]!.GetValue<double>(),
                SmoothingWeight = o["smoothing_weight"]!.GetValue<double>(),
                MinSmoothedLoss = o["min_smoothed_loss"]?.GetValue<double>() ?? double.PositiveInfinity,
                CheckpointFile = o["checkpoint"]!.GetValue<string>(),
                OptimizerFile = o["optimizer"]!.GetValue<string>(),
                DropoutRng = o["dropout_rng"]!.AsArray().Select(v => ulong.Parse(v!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                Cursor = o["cursor"]!.AsObject().DeepClone().AsObject(),
                PlateauRate = o["plateau_rate"]?.GetValue<float>(),
            };
            s.LastCheckpointStep = s.Step;
            if (o["plateau"] is JsonObject p)
                s.Plateau = new ReduceOnPlateauState(p["best"]!.GetValue<double>(), p["bad_steps"]!.GetValue<int>(), p["cooldown"]!.GetValue<int>(), p["steps"]!.GetValue<int>());
            if (s.CheckpointFile.Contains('/') || s.CheckpointFile.Contains('\\') || s.OptimizerFile.Contains('/') || s.OptimizerFile.Contains('\\'))
                throw new RecurrentDataException($"{path}: checkpoint file names must be plain names inside the run folder.");
            return s;
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or has the wrong type ({e.Message}); the file is damaged — resume from a copy or retrain.", e);
        }
    }
}
