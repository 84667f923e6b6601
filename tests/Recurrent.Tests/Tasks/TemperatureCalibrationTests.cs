using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Tests.Tasks;

public sealed class TemperatureCalibrationTests
{
    private static LanguageModelNetwork Network() => new(new LanguageModelShape(16, CellKind.Lstm, 8, 24, 1, 0f), new Rng(3));

    private static int[] Text(int length, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, length).Select(i => 4 + (i % 5 == 0 ? 0 : (int)(rng.NextFloat() * 12))).ToArray();
    }

    /// <summary>
    /// A text drawn from the network itself at temperature <paramref name="temperature"/>: the network's logits are
    /// first sharpened tenfold so that its predictions are far from uniform. Its best temperature is then known.
    /// </summary>
    private static (LanguageModelNetwork Network, int[] Tokens) SelfSampled(double temperature, int length, ulong seed)
    {
        var network = Network();
        TemperatureCalibration.Apply(network, 0.1);
        var decoder = new StreamingDecoder(network, WeightPrecision.Float32);
        var rng = new Rng(seed);
        var logits = new float[network.Shape.VocabularySize];
        var tokens = new int[length];
        tokens[0] = 4;
        for (int i = 1; i < length; i++)
        {
            decoder.Step(tokens[i - 1], logits);
            double max = logits.Max(), sum = 0;
            var p = logits.Select(z => Math.Exp((z - max) / temperature)).ToArray();
            foreach (double x in p) sum += x;
            double u = rng.NextFloat() * sum;
            int t = 0;
            while (t < p.Length - 1 && (u -= p[t]) > 0) t++;
            tokens[i] = t;
        }
        return (network, tokens);
    }

    [Fact]
    public void Fit_OfTextDrawnAtAKnownTemperature_FindsThatTemperature()
    {
        var (network, tokens) = SelfSampled(1.25, 6000, 1);
        double fitted = TemperatureCalibration.Fit(network, tokens, 1).Temperature;
        Assert.InRange(fitted, 1.25 / 1.08, 1.25 * 1.08);
    }

    [Fact]
    public void Fit_BeforeIsTheStaticScore_AndAfterIsTheScoreOfTheScaledModel()
    {
        var (network, tokens) = SelfSampled(1.25, 1500, 2);
        TemperatureFit fit = TemperatureCalibration.Fit(network, tokens, 1.5);
        LanguageModelScore score = LanguageModelEvaluator.Evaluate(network, tokens, 1.5);
        Assert.Equal(score.Tokens, fit.Before.Tokens);
        Assert.Equal(score.Loss, fit.Before.Loss, 5);
        Assert.Equal(score.BitsPerCharacter, fit.Before.BitsPerCharacter, 5);
        Assert.True(fit.After.Loss < fit.Before.Loss, $"before {fit.Before.Loss}, after {fit.After.Loss}");

        TemperatureCalibration.Apply(network, fit.Temperature);
        Assert.Equal(fit.After.Loss, LanguageModelEvaluator.Evaluate(network, tokens, 1.5).Loss, 4);
        // Refitting the calibrated network finds nothing more to gain.
        Assert.Equal(1.0, TemperatureCalibration.Fit(network, tokens, 1.5).Temperature);
    }

    [Fact]
    public void Fit_OfASharpenedCopy_FindsTheFactorItWasSharpenedBy()
    {
        // Sharpening the logits by 1.3 must move the best temperature up by 1.3, to within the grid's 2.5 % step.
        var (network, tokens) = SelfSampled(1.0, 2000, 3);
        double baseline = TemperatureCalibration.Fit(network, tokens, 1).Temperature;
        TemperatureCalibration.Apply(network, 1 / 1.3);
        double sharpened = TemperatureCalibration.Fit(network, tokens, 1).Temperature;
        Assert.InRange(sharpened / baseline, 1.3 / 1.03, 1.3 * 1.03);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Apply_RejectsATemperatureThatIsNotPositiveAndFinite(double temperature) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TemperatureCalibration.Apply(Network(), temperature));
}
