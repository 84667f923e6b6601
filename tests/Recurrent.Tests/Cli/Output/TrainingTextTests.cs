using Recurrent.Cli.Output;
using Recurrent.Training;

namespace Recurrent.Tests.Cli.Output;

public sealed class TrainingTextTests
{
    private static readonly DisplayFigure[] Bpc = [new("bpc", "1.780")];

    internal static TrainingProgress Progress(int step = 1200, int? totalSteps = 5000, double elapsedSeconds = 62,
        double? budgetSeconds = null, double fraction = 0.24, double loss = 1.234) =>
        new(step, totalSteps, Epoch: 1, EpochProgress: 0.5, elapsedSeconds, budgetSeconds, fraction, loss,
            TokensPerSecond: 12_300, GradientNorm: 0.7, LearningRate: 2e-3);

    [Fact]
    public void LiveDescription_ShowsStepLossFiguresThroughputAndRate() =>
        Assert.Equal("step 1200/5000 · loss 1.234 · 1.780 bpc · 12.3k tok/s · lr 2.0e-3",
            TrainingText.LiveDescription(Progress(), Bpc));

    [Fact]
    public void PlainLine_ShowsEverythingWithElapsedAndEta() =>
        Assert.Equal("step 1200/5000 (24%) loss 1.234 bpc 1.780 tokens/s 12300 lr 2.0e-3 elapsed 1:02 eta 3:16",
            TrainingText.PlainLine(Progress(), Bpc));

    [Fact]
    public void PlainLine_TimeBudget_HasNoTotalSteps_AndEtaIsTheTimeLeft() =>
        Assert.Equal("step 1200 (10%) loss 1.234 tokens/s 12300 lr 2.0e-3 elapsed 1:02 eta 8:58",
            TrainingText.PlainLine(Progress(totalSteps: null, budgetSeconds: 600, fraction: 0.1), []));

    [Fact]
    public void PlainLine_BeforeAnyProgress_HasUnknownEta() =>
        Assert.EndsWith("elapsed 0:00 eta ?", TrainingText.PlainLine(Progress(step: 0, elapsedSeconds: 0, fraction: 0), []));

    [Fact]
    public void EvaluationLine_ListsMetricsInOrder_AndMarksTheBest()
    {
        var metrics = new Dictionary<string, double> { ["loss"] = 1.5, ["bpc"] = 1.5 / Math.Log(2), ["perplexity"] = 4481.7 };
        Assert.Equal("valid step 300: loss 1.500 · bpc 2.164 · perplexity 4.48k · best",
            TrainingText.EvaluationLine(new EvaluationReport(300, metrics, IsBest: true, Sample: null)));
        Assert.Equal("valid step 300: loss 1.500 · bpc 2.164 · perplexity 4.48k",
            TrainingText.EvaluationLine(new EvaluationReport(300, metrics, IsBest: false, Sample: null)));
    }

    [Fact]
    public void SampleLines_SplitAfterEachNewline_MakeControlsVisible_AndCut()
    {
        Assert.Equal(["ab⏎", "c⇥d␛[0m"], TrainingText.SampleLines("ab\nc\td\u001b[0m", 200));
        Assert.Equal(["ab⏎", "cd…"], TrainingText.SampleLines("ab\ncdefgh", 6));
        Assert.Equal(["⏎", "⏎"], TrainingText.SampleLines("\n\n", 200));
        Assert.Empty(TrainingText.SampleLines("", 200));
    }

    [Fact]
    public void EtaSeconds_ExtrapolatesFromTheFractionDone()
    {
        Assert.Equal(30, TrainingText.EtaSeconds(Progress(elapsedSeconds: 10, fraction: 0.25))!.Value, 9);
        Assert.Equal(0, TrainingText.EtaSeconds(Progress(elapsedSeconds: 10, fraction: 1))!.Value);
        Assert.Null(TrainingText.EtaSeconds(Progress(fraction: 0)));
        Assert.Equal(0, TrainingText.EtaSeconds(Progress(elapsedSeconds: 700, budgetSeconds: 600))!.Value);
    }
}
