// A language model's network mixed with an n-gram model. The linear mixture p_lin(c) = (1 − w)·p_network(c) +
// w·p_ngram(c) keeps a proper distribution and needs only each model's probability of the target to score a
// text. The weight w is fitted to held-out text by maximum likelihood: the held-out log-likelihood is concave
// in w, so its derivative Σ (b − a) / ((1 − w)·a + w·b) falls monotonically and bisection finds its zero.
// On top of it, a product of experts (Hinton 2002) may be fitted to the same text:
//   q(c) ∝ p_network(c)^α · p_ngram(c)^β · p_lin(c)^γ
// It sharpens where the two models agree and flattens where they do not, which a sum cannot: on Moby-Dick's
// test part 1.888 → 1.881 bpc. Its log-likelihood is concave in (α, β, γ) (a log-partition is convex), so
// Newton's method from the linear mixture (0, 0, 1), with step halving, finds the maximum. Scoring it needs
// both models' whole distributions at every target, so the n-gram model's are computed in blocks of targets
// (MixtureScoring) and the network reads each block as one evaluation.
// When scoring, the n-gram model learns from each target after predicting it (adapt), so text repeated within
// the scored text (names, refrains) is predicted better the second time.
using System.Numerics.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>The outcome of fitting the n-gram weight, scored on the held-out targets.</summary>
/// <param name="Weight">w, the n-gram model's share.</param>
/// <param name="Before">The network alone.</param>
/// <param name="After">The mixture: the product when one was fitted, else the linear mixture with weight w.</param>
/// <param name="Order">The n-gram model's order.</param>
/// <param name="CountedTokens">Tokens the n-gram model had counted when the weight was fitted.</param>
/// <param name="Exponents">The product's exponents, or null for the linear mixture alone.</param>
/// <param name="Linear">The linear mixture's score when a product was fitted on top of it (null otherwise).</param>
public sealed record NGramFit(double Weight, LanguageModelScore Before, LanguageModelScore After, int Order, long CountedTokens,
    MixtureExponents? Exponents = null, LanguageModelScore? Linear = null);

/// <summary>The exponents of the product mixture q(c) ∝ p_network(c)^α · p_ngram(c)^β · p_lin(c)^γ (see the file header).</summary>
public sealed record MixtureExponents(double Network, double NGram, double Linear)
{
    /// <summary>(0, 0, 1): the linear mixture itself.</summary>
    public static MixtureExponents LinearOnly { get; } = new(0, 0, 1);

    /// <summary>Whether every exponent is a finite number.</summary>
    public bool IsFinite => double.IsFinite(Network) && double.IsFinite(NGram) && double.IsFinite(Linear);
}

/// <summary>An n-gram model and its share in the mixture with a network (see the file header).</summary>
public sealed class NGramMixture
{
    /// <summary>Floats of n-gram distributions a scoring or a fit keeps at a time (32 MiB): blocks of 2²³ / V targets.</summary>
    internal const int DistributionBudget = 1 << 23;

    /// <exception cref="ArgumentOutOfRangeException">The weight is outside [0, 1], or an exponent is not finite.</exception>
    public NGramMixture(NGramModel model, double weight, MixtureExponents? exponents = null)
    {
        if (!(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The n-gram weight must be in [0, 1].");
        if (exponents is { IsFinite: false })
            throw new ArgumentOutOfRangeException(nameof(exponents), exponents, "The product mixture's exponents must be finite numbers.");
        (Model, Weight, Exponents) = (model, weight, exponents);
    }

    public NGramModel Model { get; }

    /// <summary>w, the n-gram model's share of each probability in the linear mixture.</summary>
    public double Weight { get; }

    /// <summary>The product mixture's exponents; null: the linear mixture.</summary>
    public MixtureExponents? Exponents { get; }

    /// <summary>Whether the n-gram model takes part: a product, or a linear mixture of weight &gt; 0.</summary>
    public bool Mixes => Exponents is not null || Weight > 0;

    /// <summary>
    /// How <paramref name="mixture"/> scores the targets of <paramref name="tokens"/>; null without a mixture or at
    /// weight 0 without a product, when the network scores alone.
    /// </summary>
    public static MixtureScoring? Scoring(NGramMixture? mixture, int[] tokens) => Scoring(mixture, tokens, null);

    /// <summary><see cref="Scoring(NGramMixture?, int[])"/> with the product's blocks <paramref name="blockTargets"/> long (tests).</summary>
    internal static MixtureScoring? Scoring(NGramMixture? mixture, int[] tokens, int? blockTargets) =>
        mixture is { Mixes: true } ? new MixtureScoring(mixture, tokens, blockTargets) : null;

    /// <summary>−log of the linear mixture's probability of a target, from the network's log-probability and the n-gram model's probability.</summary>
    public double Nats(double networkLogProbability, float ngramProbability) =>
        -Math.Log(Mix(Math.Exp(networkLogProbability), ngramProbability, Weight));

    /// <summary>
    /// −log q(target) of the product mixture, from the network's logits and the n-gram model's distribution
    /// [V]; <paramref name="work"/> [V] is scratch.
    /// </summary>
    internal double ProductNats(ReadOnlySpan<float> logits, ReadOnlySpan<float> ngram, int target, Span<double> work)
    {
        double max = ProductLogits(logits, ngram, work);
        double sum = 0;
        for (int c = 0; c < work.Length; c++) sum += Math.Exp(work[c] - max);
        return max + Math.Log(sum) - work[target];
    }

    /// <summary>The product's unnormalised log-probabilities into <paramref name="z"/> [V]; returns their maximum.</summary>
    private double ProductLogits(ReadOnlySpan<float> logits, ReadOnlySpan<float> ngram, Span<double> z)
    {
        var (a, b, g) = (Exponents!.Network, Exponents.NGram, Exponents.Linear);
        float top = TensorPrimitives.Max(logits);
        double sum = 0;
        for (int c = 0; c < logits.Length; c++) sum += Math.Exp(logits[c] - top);
        double logSum = top + Math.Log(sum), max = double.NegativeInfinity;
        for (int c = 0; c < logits.Length; c++)
        {
            double lp = logits[c] - logSum, pn = Math.Exp(lp), pg = Math.Max(ngram[c], float.Epsilon);
            z[c] = a * lp + b * Math.Log(pg) + g * Math.Log(Math.Max(Mix(pn, pg, Weight), double.Epsilon));
            max = Math.Max(max, z[c]);
        }
        return max;
    }

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
    /// (<see cref="LanguageModelEvaluator.TargetProbabilities"/>) against the adaptive n-gram model's. With
    /// <paramref name="product"/> the product's exponents are then fitted on top (on the first 2²³ / V targets at
    /// most) and <see cref="NGramFit.After"/> scores the product.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static NGramFit Fit(LanguageModelNetwork network, NGramModel model, int[] tokens, double charactersPerToken, bool product = false)
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
        if (!product) return new NGramFit(w, Score(0), Score(w), model.Order, model.Tokens);
        MixtureExponents exponents = FitExponents(network, model, tokens, w);
        LanguageModelScore after = LanguageModelEvaluator.Evaluate(network, tokens, charactersPerToken, new NGramMixture(model, w, exponents));
        return new NGramFit(w, Score(0), after, model.Order, model.Tokens, exponents, Score(w));
    }

    /// <summary>
    /// The exponents (α, β, γ) that maximise the product's log-likelihood of the first targets of
    /// <paramref name="tokens"/>, given the linear weight <paramref name="weight"/>: Newton's method from (0, 0, 1).
    /// </summary>
    private static MixtureExponents FitExponents(LanguageModelNetwork network, NGramModel model, int[] tokens, double weight)
    {
        int v = network.Shape.VocabularySize;
        int n = (int)Math.Min(tokens.Length - 1, Math.Max(1, DistributionBudget / v));
        int[] head = tokens[..(n + 1)];
        float[] logProbabilities = LanguageModelEvaluator.LogProbabilities(network, head);   // [n, V]
        using var ngram = new MixtureScoring(new NGramMixture(model, weight, MixtureExponents.LinearOnly), head, n);
        ngram.Prepare(0, n);                            // the n-gram model's distributions, [n, V] in one block
        var features = new float[(long)n * v * 3];      // log p_network, log p_ngram, log p_lin per target and token
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> pNgram = ngram.Distribution(i);
            for (int c = 0; c < v; c++)
            {
                int k = i * v + c;
                double lp = logProbabilities[k], pg = Math.Max(pNgram[c], float.Epsilon);
                features[3 * k] = (float)lp;
                features[3 * k + 1] = (float)Math.Log(pg);
                features[3 * k + 2] = (float)Math.Log(Math.Max(Mix(Math.Exp(lp), pg, weight), double.Epsilon));
            }
        }
        double[] theta = [0, 0, 1];
        double loss = ProductLoss(features, head, v, theta, null, null);
        var gradient = new double[3];
        var hessian = new double[9];
        for (int iteration = 0; iteration < 20; iteration++)
        {
            ProductLoss(features, head, v, theta, gradient, hessian);
            for (int j = 0; j < 3; j++) hessian[4 * j] += 1e-9 * n;     // keeps the system solvable
            double[] step = Solve3(hessian, gradient);
            bool improved = false;
            for (int half = 0; half < 30 && !improved; half++)
            {
                double[] candidate = [theta[0] - step[0], theta[1] - step[1], theta[2] - step[2]];
                double candidateLoss = ProductLoss(features, head, v, candidate, null, null);
                if (candidateLoss < loss)
                {
                    improved = loss - candidateLoss > 1e-10 * n;
                    (theta, loss) = (candidate, candidateLoss);
                    if (!improved) break;
                }
                for (int j = 0; j < 3; j++) step[j] *= 0.5;
            }
            if (!improved) break;
        }
        return new MixtureExponents(Math.Round(theta[0], 6), Math.Round(theta[1], 6), Math.Round(theta[2], 6));
    }

    /// <summary>
    /// The product's summed −log-likelihood of the targets for exponents θ; with <paramref name="gradient"/> and
    /// <paramref name="hessian"/> [3×3] also its derivatives (overwritten).
    /// </summary>
    private static double ProductLoss(float[] features, int[] tokens, int v, double[] theta, double[]? gradient, double[]? hessian)
    {
        if (gradient is not null) { Array.Clear(gradient); Array.Clear(hessian!); }
        var z = new double[v];
        Span<double> mean = stackalloc double[3];
        double total = 0;
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            long row = (long)i * v * 3;
            double max = double.NegativeInfinity;
            for (int c = 0; c < v; c++)
            {
                long f = row + 3 * c;
                z[c] = theta[0] * features[f] + theta[1] * features[f + 1] + theta[2] * features[f + 2];
                max = Math.Max(max, z[c]);
            }
            double sum = 0;
            for (int c = 0; c < v; c++) sum += z[c] = Math.Exp(z[c] - max);
            int target = tokens[i + 1];
            long t = row + 3 * target;
            total -= theta[0] * features[t] + theta[1] * features[t + 1] + theta[2] * features[t + 2] - max - Math.Log(sum);
            if (gradient is null) continue;
            // ∇ = E_q[f] − f(target);  H = Cov_q[f]
            mean.Clear();
            for (int c = 0; c < v; c++)
                for (int j = 0; j < 3; j++) mean[j] += z[c] / sum * features[row + 3 * c + j];
            for (int j = 0; j < 3; j++) gradient[j] += mean[j] - features[t + j];
            for (int c = 0; c < v; c++)
            {
                double q = z[c] / sum;
                long f = row + 3 * c;
                for (int j = 0; j < 3; j++)
                    for (int k = 0; k < 3; k++) hessian![3 * j + k] += q * (features[f + j] - mean[j]) * (features[f + k] - mean[k]);
            }
        }
        return total;
    }

    /// <summary>x with A·x = b for a symmetric positive definite 3×3 A (row-major), by Gaussian elimination.</summary>
    private static double[] Solve3(double[] matrix, double[] rhs)
    {
        var m = (double[])matrix.Clone();
        var x = (double[])rhs.Clone();
        for (int p = 0; p < 3; p++)
            for (int r = p + 1; r < 3; r++)
            {
                double f = m[3 * r + p] / m[3 * p + p];
                for (int c = p; c < 3; c++) m[3 * r + c] -= f * m[3 * p + c];
                x[r] -= f * x[p];
            }
        for (int p = 2; p >= 0; p--)
        {
            for (int c = p + 1; c < 3; c++) x[p] -= m[3 * p + c] * x[c];
            x[p] /= m[3 * p + p];
        }
        return x;
    }

    /// <summary>
    /// Overwrites <paramref name="logits"/> [V] (the network's) with the log-probabilities of the mixture, given the
    /// n-gram model's distribution after the same history; <paramref name="work"/> [V] is scratch.
    /// </summary>
    public void MixLogits(Span<float> logits, ReadOnlySpan<float> ngram, Span<float> work)
    {
        if (Exponents is not null)
        {
            Span<double> z = logits.Length <= 4096 ? stackalloc double[logits.Length] : new double[logits.Length];
            ProductLogits(logits, ngram, z);
            for (int c = 0; c < logits.Length; c++) logits[c] = (float)z[c];
            return;
        }
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, work);
        TensorPrimitives.Exp(work, work);
        float sum = TensorPrimitives.Sum(work);
        for (int c = 0; c < logits.Length; c++)
            logits[c] = (float)Math.Log(Mix(work[c] / sum, ngram[c], Weight));
    }
}

/// <summary>
/// How a mixture scores the targets of one text, in blocks of targets read in text order: before a block the
/// n-gram model predicts each of its targets (the target's probability for the linear mixture, the whole
/// distribution for the product) and then counts it, as an adaptive compressor does. <see cref="Dispose"/> takes
/// those counts back, leaving the model as it was.
/// </summary>
public sealed class MixtureScoring : IDisposable
{
    private readonly NGramMixture _mixture;
    private readonly int[] _tokens;
    private readonly int _v;
    private readonly float[] _data;
    private readonly double[] _work;
    private readonly float[] _floatWork;
    private int _start, _end, _observed;

    internal MixtureScoring(NGramMixture mixture, int[] tokens, int? blockTargets = null)
    {
        (_mixture, _tokens, _v) = (mixture, tokens, mixture.Model.VocabularySize);
        int targets = Math.Max(0, tokens.Length - 1);
        BlockTargets = mixture.Exponents is null ? Math.Max(1, targets) : Math.Max(1, blockTargets ?? NGramMixture.DistributionBudget / _v);
        _data = new float[mixture.Exponents is null ? Math.Min(BlockTargets, targets) : (long)Math.Min(BlockTargets, Math.Max(1, targets)) * _v];
        _work = new double[_v];
        _floatWork = new float[_v];
    }

    /// <summary>Targets per block: the whole text for the linear mixture, 2²³ / V for the product.</summary>
    public int BlockTargets { get; }

    /// <summary>Prepares targets [<paramref name="start"/>, <paramref name="end"/>): the next block, right after the one before.</summary>
    /// <exception cref="InvalidOperationException">The block does not follow the last one, or is longer than <see cref="BlockTargets"/>.</exception>
    public void Prepare(int start, int end)
    {
        if (start != _observed || end - start > BlockTargets || end > _tokens.Length - 1 || end < start)
            throw new InvalidOperationException($"MixtureScoring.Prepare: blocks must follow each other in text order, at most {BlockTargets} targets each; got [{start}, {end}) after {_observed}.");
        (_start, _end) = (start, end);
        NGramModel model = _mixture.Model;
        for (int i = start; i < end; i++)
        {
            ReadOnlySpan<int> history = _tokens.AsSpan(0, i + 1);
            if (_mixture.Exponents is null) _data[i - start] = (float)model.Probability(history, _tokens[i + 1]);
            else model.Distribution(history, _data.AsSpan((i - start) * _v, _v));
            model.Observe(history, _tokens[i + 1]);
            _observed = i + 1;
        }
    }

    /// <summary>The n-gram model's distribution [V] before target <paramref name="position"/> of the prepared block (a product's scoring only).</summary>
    internal ReadOnlySpan<float> Distribution(int position) => _data.AsSpan((position - _start) * _v, _v);

    /// <summary>
    /// −log of the mixture's probability of target <paramref name="position"/>, from row <paramref name="row"/> of
    /// the network's logits [rows, V]. The target must be in the prepared block, or the first one after everything
    /// prepared so far, which prepares the next block: a reader in text order need not call <see cref="Prepare"/>.
    /// </summary>
    public double Nats(ReadOnlySpan<float> logits, int row, int target, int position)
    {
        if (position == _observed && position == _end) Prepare(position, Math.Min(_tokens.Length - 1, position + BlockTargets));
        if (position < _start || position >= _end)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"Target {position} is outside the prepared block [{_start}, {_end}).");
        ReadOnlySpan<float> rowLogits = logits.Slice(row * _v, _v);
        if (_mixture.Exponents is not null)
            return _mixture.ProductNats(rowLogits, Distribution(position), target, _work);
        return _mixture.Nats(LanguageModelEvaluator.LogProbability(logits, row, target, _floatWork), _data[position - _start]);
    }

    /// <summary>Takes back the counts of every target prepared.</summary>
    public void Dispose()
    {
        for (int i = _observed - 1; i >= 0; i--) _mixture.Model.Forget(_tokens.AsSpan(0, i + 1), _tokens[i + 1]);
        _observed = 0;
    }
}
