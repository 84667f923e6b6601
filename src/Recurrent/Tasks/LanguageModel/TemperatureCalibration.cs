// Temperature calibration of a language model (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of Modern
// Neural Networks"): one scalar τ divides every logit, p = softmax(z / τ), chosen to minimise the cross-entropy
// on held-out text. A network that has begun to overfit its training text is over-confident (τ > 1 helps);
// τ changes no ranking, so greedy decoding is unaffected. τ is folded into the decoder (W ← W / τ, b ← b / τ),
// so the saved weights are an ordinary model for every reader: evaluation, sampling, export.
//
// The fit reads the held-out text once: for each target it accumulates the loss at each τ of a grid, log-spaced
// over [e^−0.5, e^0.5] ≈ [0.61, 1.65] in steps of 2.5 % (which includes τ = 1), and takes the grid's best. Near
// the optimum the loss is flat, so the step costs less than 0.001 bits. The grid costs 41·V exponentials per
// target, so at most min(10⁶, 8·10⁹ / (41·V)) targets enter the fit, and the text is read no further: every
// target of a character model's usual validation text, ~10,000 for a vocabulary of 20,000 words.
using System.Numerics.Tensors;
using Recurrent.Autograd;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>The outcome of a temperature fit, scored on the targets that entered it.</summary>
/// <param name="Temperature">τ, the best of the grid.</param>
/// <param name="Before">The held-out score at τ = 1 (the model as it was).</param>
/// <param name="After">The held-out score at τ.</param>
public sealed record TemperatureFit(double Temperature, LanguageModelScore Before, LanguageModelScore After);

/// <summary>Fits and applies a softmax temperature (see the file header).</summary>
public static class TemperatureCalibration
{
    private const int GridHalf = 20;                // τ_k = exp(0.025·(k − 20)), k = 0 … 40
    private const double GridStep = 0.025;
    private const double ExpBudget = 8e9;           // exp evaluations the fit may spend
    private const long MaxTargets = 1_000_000;

    /// <summary>The τ of the grid that minimises the cross-entropy of <paramref name="tokens"/> (held-out text).</summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static TemperatureFit Fit(LanguageModelNetwork network, int[] tokens, double charactersPerToken)
    {
        int v = network.Shape.VocabularySize, k = 2 * GridHalf + 1;
        long budget = Math.Clamp((long)(ExpBudget / ((double)k * v)), 1000, MaxTargets);
        var scale = new float[k];
        for (int i = 0; i < k; i++) scale[i] = (float)Math.Exp(-GridStep * (i - GridHalf));   // 1 / τ_i
        var nats = new double[k];
        var shifted = new float[v];
        var work = new float[v];
        long used = 0;
        LanguageModelEvaluator.ForEachChunk(network, tokens, (_, logits, targets, _) =>
        {
            ReadOnlySpan<float> z = logits.Value.Span;
            for (int r = 0; r < targets.Length && used < budget; r++, used++)
            {
                ReadOnlySpan<float> row = z.Slice(r * v, v);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, shifted);            // z − max ≤ 0: no overflow at any scale
                float target = shifted[targets[r]];
                for (int i = 0; i < k; i++)
                {
                    // −log softmax(s·z)_t = log Σ exp(s·(z − max)) − s·(z_t − max)
                    TensorPrimitives.Multiply(shifted, scale[i], work);
                    TensorPrimitives.Exp(work, work);
                    nats[i] += Math.Log(TensorPrimitives.Sum(work)) - (double)scale[i] * target;
                }
            }
            return used < budget;
        });
        int best = GridHalf;
        for (int i = 0; i < k; i++) if (nats[i] < nats[best]) best = i;
        LanguageModelScore Score(int i)
        {
            double mean = nats[i] / used;
            return new LanguageModelScore(mean, mean / Math.Log(2) / charactersPerToken, Math.Exp(mean), used);
        }
        return new TemperatureFit(Math.Exp(GridStep * (best - GridHalf)), Score(GridHalf), Score(best));
    }

    /// <summary>Folds τ into the decoder: W ← W / τ, b ← b / τ, so the network's logits become z / τ.</summary>
    /// <exception cref="ArgumentOutOfRangeException">τ is not a positive finite number.</exception>
    public static void Apply(LanguageModelNetwork network, double temperature)
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive finite number.");
        float s = (float)(1 / temperature);
        Span<float> w = network.Decoder.Weight.Value.Span;
        TensorPrimitives.Multiply(w, s, w);
        if (network.Decoder.Bias is { } bias) TensorPrimitives.Multiply(bias.Value.Span, s, bias.Value.Span);
    }
}
