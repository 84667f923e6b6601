// A language model's network mixed with an n-gram model: p(c) = (1 − w)·p_network(c) + w·p_ngram(c). Linear
// interpolation keeps a proper distribution and needs only each model's probability of the target to score a
// text. The weight w is fitted to held-out text by maximum likelihood: the held-out log-likelihood is concave
// in w, so its derivative Σ (b − a) / ((1 − w)·a + w·b) falls monotonically and bisection finds its zero.
// When scoring, the n-gram model learns from each target after predicting it (NGramModel.TargetProbabilities
// with adapt), so text repeated within the scored text (names, refrains) is predicted better the second time.
using System.Numerics.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>The outcome of fitting the n-gram weight, scored on the held-out targets.</summary>
/// <param name="Weight">w, the n-gram model's share.</param>
/// <param name="Before">The network alone.</param>
/// <param name="After">The mixture with weight w.</param>
/// <param name="Order">The n-gram model's order.</param>
/// <param name="CountedTokens">Tokens the n-gram model had counted when the weight was fitted.</param>
public sealed record NGramFit(double Weight, LanguageModelScore Before, LanguageModelScore After, int Order, long CountedTokens);

/// <summary>An n-gram model and its share in the mixture with a network (see the file header).</summary>
public sealed class NGramMixture
{
    /// <exception cref="ArgumentOutOfRangeException">The weight is outside [0, 1].</exception>
    public NGramMixture(NGramModel model, double weight)
    {
        if (!(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The n-gram weight must be in [0, 1].");
        (Model, Weight) = (model, weight);
    }

    public NGramModel Model { get; }

    /// <summary>w, the n-gram model's share of each probability.</summary>
    public double Weight { get; }

    /// <summary>
    /// The n-gram model's probability of each target of <paramref name="tokens"/> as scoring reads them (learning
    /// from the text, <see cref="NGramModel.TargetProbabilities"/>); null without a mixture or at weight 0, when the
    /// network scores alone.
    /// </summary>
    public static float[]? ScoringProbabilities(NGramMixture? mixture, ReadOnlySpan<int> tokens) =>
        mixture is { Weight: > 0 } ? mixture.Model.TargetProbabilities(tokens, adapt: true) : null;

    /// <summary>−log of the mixture's probability of a target, from the network's log-probability and the n-gram model's probability.</summary>
    public double Nats(double networkLogProbability, float ngramProbability) =>
        -Math.Log(Mix(Math.Exp(networkLogProbability), ngramProbability, Weight));

    /// <summary>(1 − w)·a + w·b.</summary>
    public static double Mix(double networkProbability, double ngramProbability, double weight) =>
        (1 - weight) * networkProbability + weight * ngramProbability;

    /// <summary>
    /// The w in [0, 1] that maximises Σ log((1 − w)·a_i + w·b_i) for the network's probabilities a and the n-gram
    /// model's b of the same targets.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length or are empty.</exception>
    public static double FitWeight(ReadOnlySpan<double> network, ReadOnlySpan<float> ngram)
    {
        if (network.Length != ngram.Length || network.Length == 0)
            throw new ArgumentException($"NGramMixture.FitWeight needs the same number (> 0) of probabilities from both models; got {network.Length} and {ngram.Length}.");
        double Slope(double w, ReadOnlySpan<double> a, ReadOnlySpan<float> b)
        {
            double sum = 0;
            for (int i = 0; i < a.Length; i++) sum += (b[i] - a[i]) / Math.Max(Mix(a[i], b[i], w), double.Epsilon);
            return sum;
        }
        if (Slope(0, network, ngram) <= 0) return 0;
        if (Slope(1, network, ngram) >= 0) return 1;
        double lo = 0, hi = 1;
        for (int i = 0; i < 40; i++)         // 2⁻⁴⁰: far below any effect on the score
        {
            double mid = 0.5 * (lo + hi);
            if (Slope(mid, network, ngram) > 0) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>
    /// Fits w to held-out <paramref name="tokens"/>: the network's probability of each target
    /// (<see cref="LanguageModelEvaluator.TargetProbabilities"/>) against the adaptive n-gram model's.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static NGramFit Fit(LanguageModelNetwork network, NGramModel model, int[] tokens, double charactersPerToken)
    {
        double[] a = LanguageModelEvaluator.TargetProbabilities(network, tokens);
        float[] b = model.TargetProbabilities(tokens, adapt: true);
        double w = FitWeight(a, b);
        LanguageModelScore Score(double weight)
        {
            double nats = 0;
            for (int i = 0; i < a.Length; i++) nats -= Math.Log(Mix(a[i], b[i], weight));
            nats /= a.Length;
            return new LanguageModelScore(nats, nats / Math.Log(2) / charactersPerToken, Math.Exp(nats), a.Length);
        }
        return new NGramFit(w, Score(0), Score(w), model.Order, model.Tokens);
    }

    /// <summary>
    /// Overwrites <paramref name="logits"/> [V] (the network's) with the log-probabilities of the mixture, given the
    /// n-gram model's distribution after the same history; <paramref name="work"/> [V] is scratch.
    /// </summary>
    public void MixLogits(Span<float> logits, ReadOnlySpan<float> ngram, Span<float> work)
    {
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, work);
        TensorPrimitives.Exp(work, work);
        float sum = TensorPrimitives.Sum(work);
        for (int c = 0; c < logits.Length; c++)
            logits[c] = (float)Math.Log(Mix(work[c] / sum, ngram[c], Weight));
    }
}
