using Recurrent.Cli.Output;
using Recurrent.Training;

namespace Recurrent.Tests.Cli.Output;

public sealed class ConsoleTrainingObserverTests
{
    private TimeSpan _now;

    private (ConsoleTrainingObserver Observer, StringWriter Output) Plain(TrainingDisplayOptions? options = null)
    {
        var output = new StringWriter { NewLine = "\n" };
        options ??= TrainingDisplayOptions.Default(bitsPerToken: true);
        var observer = new ConsoleTrainingObserver(options with { Clock = () => _now }, output, TrainingDisplayMode.Plain);
        return (observer, output);
    }

    private static TrainingProgress Step(int step, double elapsedSeconds) =>
        new(step, TotalSteps: 100, Epoch: 1, EpochProgress: step / 100.0, elapsedSeconds, BudgetSeconds: null,
            Fraction: step / 100.0, TrainLoss: 2.0, TokensPerSecond: 1000, GradientNorm: 1, LearningRate: 1e-3);

    private static string[] Lines(StringWriter output) => output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Plain_WritesAtMostOneProgressLinePerInterval_PlusEveryEvaluationAndMessage()
    {
        var (observer, output) = Plain();
        var metrics = new Dictionary<string, double> { ["loss"] = 1.5, ["bpc"] = 2.164 };

        _now = TimeSpan.FromSeconds(0);
        observer.OnStep(Step(1, 0.4));                 // first report: written
        _now = TimeSpan.FromSeconds(3);
        observer.OnStep(Step(2, 3));                   // held back
        _now = TimeSpan.FromSeconds(9.9);
        observer.OnStep(Step(3, 9.9));                 // held back
        observer.OnEvaluation(new EvaluationReport(3, metrics, IsBest: true, Sample: "to be\nor not"));
        _now = TimeSpan.FromSeconds(10);
        observer.OnStep(Step(4, 10));                  // ten seconds after the first line: written
        _now = TimeSpan.FromSeconds(12);
        observer.OnStep(Step(5, 12));                  // held back, then written on Dispose
        observer.OnMessage("checkpoint written: runs/lm");
        observer.Dispose();
        observer.Dispose();

        Assert.False(observer.IsLive);
        Assert.Equal(
        [
            "step 1/100 (1%) loss 2.000 bpc 2.885 tokens/s 1000 lr 1.0e-3 elapsed 0:00 eta 0:40",
            "valid step 3: loss 1.500 · bpc 2.164 · best",
            "    to be⏎",
            "    or not",
            "step 4/100 (4%) loss 2.000 bpc 2.885 tokens/s 1000 lr 1.0e-3 elapsed 0:10 eta 4:00",
            "checkpoint written: runs/lm",
            "step 5/100 (5%) loss 2.000 bpc 2.885 tokens/s 1000 lr 1.0e-3 elapsed 0:12 eta 3:48",
        ], Lines(output));
    }

    [Fact]
    public void Plain_AfterDispose_IgnoresSteps_AndWritesNothingMore()
    {
        var (observer, output) = Plain();
        observer.OnStep(Step(1, 1));
        observer.Dispose();
        _now = TimeSpan.FromMinutes(5);
        observer.OnStep(Step(2, 300));
        observer.Dispose();
        Assert.Single(Lines(output));
    }

    [Fact]
    public void Plain_ZeroInterval_WritesEveryStep()
    {
        var (observer, output) = Plain(TrainingDisplayOptions.Default() with { PlainInterval = TimeSpan.Zero });
        for (int step = 1; step <= 3; step++) observer.OnStep(Step(step, step));
        observer.Dispose();
        Assert.Equal(3, Lines(output).Length);
    }

    [Fact]
    public void Plain_WithoutBitsPerToken_ShowsNoBpc()
    {
        var (observer, output) = Plain(TrainingDisplayOptions.Default(bitsPerToken: false));
        observer.OnStep(Step(1, 1));
        observer.Dispose();
        Assert.DoesNotContain("bpc", output.ToString());
    }

    [Fact]
    public void Plain_ShowsCustomTaskFigures()
    {
        var options = TrainingDisplayOptions.Default() with { TaskFigures = _ => [new DisplayFigure("acc", "91.0%")] };
        var (observer, output) = Plain(options);
        observer.OnStep(Step(1, 1));
        observer.Dispose();
        Assert.Contains("loss 2.000 acc 91.0% tokens/s", output.ToString());
    }

    [Fact]
    public void Plain_CutsLongSamples()
    {
        var (observer, output) = Plain(TrainingDisplayOptions.Default() with { SampleMaxLength = 10 });
        observer.OnEvaluation(new EvaluationReport(1, new Dictionary<string, double>(), IsBest: false, Sample: new string('x', 50)));
        observer.Dispose();
        Assert.Equal(["valid step 1:", "    xxxxxxxxx…"], Lines(output));
    }

    [Fact]
    public void Auto_OnAWriterThatIsNotTheConsole_IsPlain()
    {
        using var observer = new ConsoleTrainingObserver(TrainingDisplayOptions.Default(), new StringWriter());
        Assert.False(observer.IsLive);
    }

    [Fact]
    public void Live_OnRedirectedOutput_DoesNotThrow_AndStopsOnDispose()
    {
        var output = new StringWriter();
        var observer = new ConsoleTrainingObserver(TrainingDisplayOptions.Default(bitsPerToken: true), output, TrainingDisplayMode.Live);
        Assert.True(observer.IsLive);
        observer.OnStep(Step(1, 1));
        observer.OnEvaluation(new EvaluationReport(1, new Dictionary<string, double> { ["loss"] = 1 }, IsBest: true, Sample: "a\nb"));
        observer.OnMessage("hello");
        observer.OnStep(Step(100, 100));
        observer.Dispose();
        observer.Dispose();
        observer.OnMessage("after");
        Assert.Contains("valid step 1: loss 1.000", output.ToString());
        Assert.Contains("hello", output.ToString());
    }

    [Theory]
    [InlineData(-1.0, 0.1, 200)]
    [InlineData(10.0, 0.0, 200)]
    [InlineData(10.0, 0.1, 0)]
    public void Options_OutOfRange_Throw(double plainSeconds, double liveSeconds, int sampleMaxLength) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrainingDisplayOptions
        {
            PlainInterval = TimeSpan.FromSeconds(plainSeconds),
            LiveInterval = TimeSpan.FromSeconds(liveSeconds),
            SampleMaxLength = sampleMaxLength,
        });
}
