// Dynamic evaluation (Krause, Kahembwe, Murray & Renals 2018, "Dynamic Evaluation of Neural Sequence Models").
// The text is read once, in order, in segments s_1, s_2, …; each segment is scored with the current weights and
// only then used for one gradient step, pulled back towards the trained weights θ₀. Two update rules:
//   SGD:  θ_i = θ_{i−1} − η g_i + λ (θ₀ − θ_{i−1})
//   RMS:  θ_i = θ_{i−1} − η g_i / (r + ε r̄) + λ min(r / r̄, 1/λ) (θ₀ − θ_{i−1})
// with g_i = ∇L(s_i; θ_{i−1}) (the segment's mean loss), r the root mean square of each weight's gradient over
// segments of a reference text (the training text: GradientStatistics) and r̄ the mean of r over all weights. The
// RMS rule gives every weight a step sized to how much its gradient normally moves, and pulls back hardest the
// weights that matter most to the network. Every prediction depends on the text before it only (as an adaptive
// compressor's does), so the figure is a fair sequential score; it is reported apart from the static one. The
// network's weights are restored at the end.
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>How dynamic evaluation turns a segment's gradient into a step (see the file header).</summary>
public enum DynamicEvaluationRule
{
    /// <summary>Plain SGD with a uniform pull back towards the trained weights.</summary>
    Sgd,
    /// <summary>Steps divided by each weight's RMS gradient on a reference text; pull back scaled by it.</summary>
    Rms,
}

/// <summary>Settings of dynamic evaluation. Validates itself.</summary>
public sealed record DynamicEvaluationOptions
{
    /// <summary>Creates the settings.</summary>
    /// <param name="learningRate">η, the step on each segment's mean loss (default 0.2).</param>
    /// <param name="decay">λ, the pull back towards the trained weights per segment, in [0, 1] (default 0.001).</param>
    /// <param name="segmentLength">Tokens per segment: scored together, then learned from (default 50).</param>
    /// <param name="clip">Global gradient-norm clip per step; 0 turns it off (default 1).</param>
    /// <param name="rule">The update rule (default SGD).</param>
    /// <param name="epsilon">ε of the RMS rule, as a fraction of r̄: each step is divided by r + ε r̄ (default 0.1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public DynamicEvaluationOptions(float learningRate = 0.2f, float decay = 0.001f, int segmentLength = 50, float clip = 1f,
        DynamicEvaluationRule rule = DynamicEvaluationRule.Sgd, float epsilon = 0.1f)
    {
        if (!(learningRate > 0f && float.IsFinite(learningRate))) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The dynamic-evaluation learning rate must be > 0.");
        if (!(decay >= 0f && decay <= 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The dynamic-evaluation decay must be in [0, 1].");
        if (segmentLength < 1) throw new ArgumentOutOfRangeException(nameof(segmentLength), segmentLength, "The dynamic-evaluation segment must be ≥ 1 token.");
        if (!(clip >= 0f && float.IsFinite(clip))) throw new ArgumentOutOfRangeException(nameof(clip), clip, "The dynamic-evaluation clip must be ≥ 0.");
        if (!Enum.IsDefined(rule)) throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown dynamic-evaluation rule.");
        if (!(epsilon > 0f && float.IsFinite(epsilon))) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "The dynamic-evaluation epsilon must be > 0.");
        (LearningRate, Decay, SegmentLength, Clip, Rule, Epsilon) = (learningRate, decay, segmentLength, clip, rule, epsilon);
    }

    /// <summary>
    /// The defaults of a rule. SGD: η 0.2, λ 0.001, clip 1. RMS: η 1.2e-4, λ 0.01, ε 0.1, no clip, chosen on the
    /// validation part of a character model of Moby-Dick with its n-gram mixture (docs/benchmarks.md). Segments of
    /// 50 tokens for both.
    /// </summary>
    public static DynamicEvaluationOptions DefaultsFor(DynamicEvaluationRule rule) => rule switch
    {
        DynamicEvaluationRule.Rms => new DynamicEvaluationOptions(learningRate: 1.2e-4f, decay: 0.01f, segmentLength: 50, clip: 0f,
            rule: DynamicEvaluationRule.Rms, epsilon: 0.1f),
        _ => new DynamicEvaluationOptions(),
    };

    public float LearningRate { get; }
    public float Decay { get; }
    public int SegmentLength { get; }
    public float Clip { get; }
    public DynamicEvaluationRule Rule { get; }
    public float Epsilon { get; }
}

/// <summary>
/// Each weight's root-mean-square gradient over segments of a reference text, as the RMS rule of dynamic
/// evaluation needs (<see cref="DynamicEvaluation.GradientStatistics"/>), one array per named parameter.
/// </summary>
public sealed class DynamicGradientStatistics
{
    internal DynamicGradientStatistics(float[][] rms, long tokens)
    {
        Rms = rms;
        Tokens = tokens;
        double sum = 0;
        long count = 0;
        foreach (float[] r in rms) { foreach (float x in r) sum += x; count += r.Length; }
        MeanRms = count == 0 ? 0 : sum / count;
    }

    /// <summary>r per weight, in the order of the network's named parameters.</summary>
    public IReadOnlyList<float[]> Rms { get; }

    /// <summary>r̄, the mean of r over all weights.</summary>
    public double MeanRms { get; }

    /// <summary>Targets of the reference text the statistics were gathered on.</summary>
    public long Tokens { get; }
}

/// <summary>Scores a text while adapting the model to it, segment by segment (see the file header).</summary>
public static class DynamicEvaluation
{
    /// <summary>
    /// Scores <paramref name="tokens"/> as one stream with dynamic evaluation; the network's weights are the
    /// trained ones again when this returns. <paramref name="progress"/> receives the fraction done. With a
    /// <paramref name="mixture"/> each target is scored by the adapted network mixed with the n-gram model, which
    /// learns from the text too; the network still learns from its own loss.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    /// <exception cref="ArgumentException">The RMS rule without <paramref name="statistics"/>, or statistics of another network.</exception>
    public static LanguageModelScore Evaluate(LanguageModelNetwork network, int[] tokens, double charactersPerToken,
        DynamicEvaluationOptions options, Action<double>? progress = null, DynamicGradientStatistics? statistics = null, NGramMixture? mixture = null)
    {
        LanguageModelEvaluator.RequireTwoTokens(tokens);
        IReadOnlyList<NamedParameter> parameters = network.NamedParameters();
        Parameter[] weights = parameters.Select(p => p.Parameter).ToArray();
        float[][]? stepScale = null, decayScale = null;
        float[]? scratch = null;
        if (options.Rule == DynamicEvaluationRule.Rms)
        {
            if (statistics is null)
                throw new ArgumentException("The RMS rule of dynamic evaluation needs gradient statistics of a reference text (DynamicEvaluation.GradientStatistics).", nameof(statistics));
            (stepScale, decayScale) = RmsScales(weights, statistics, options);
            scratch = new float[weights.Max(w => w.Value.Length)];
        }
        using MixtureScoring? scoring = NGramMixture.Scoring(mixture, tokens);
        Tensor[] trained = weights.Select(w => w.Value.Clone()).ToArray();   // θ₀
        network.ZeroGrad();
        using var tape = new Tape { Training = false };
        CarriedState? state = null;
        double totalNats = 0;
        int targets = tokens.Length - 1;
        try
        {
            for (int position = 0; position < targets; position += options.SegmentLength)
            {
                int steps = Math.Min(options.SegmentLength, targets - position);
                ReadOnlySpan<int> inputs = tokens.AsSpan(position, steps), next = tokens.AsSpan(position + 1, steps);
                var (logits, final) = network.Forward(tape, inputs, steps, 1, state?.AsState(), null);
                Variable sum = tape.CrossEntropy(logits, next, reduction: CrossEntropyReduction.Sum);
                // scored before the weights learn from this segment
                if (scoring is null) totalNats += sum.Value[0];
                else
                    for (int r = 0; r < steps; r++) totalNats += scoring.Nats(logits.Value.Span, r, next[r], position + r);
                tape.Backward(tape.Scale(sum, 1f / steps));
                state = CarriedState.CopyOf(final);
                tape.Reset();
                if (options.Clip > 0f) GradientClipping.ClipByGlobalNorm(weights, options.Clip);
                for (int i = 0; i < weights.Length; i++)
                    if (stepScale is null) Step(weights[i], trained[i].Span, options);
                    else StepScaled(weights[i], trained[i].Span, stepScale[i], decayScale![i], scratch!);
                progress?.Invoke((double)(position + steps) / targets);
            }
        }
        finally
        {
            for (int i = 0; i < weights.Length; i++) trained[i].Span.CopyTo(weights[i].Value.Span);
            network.ZeroGrad();
        }
        double nats = totalNats / targets;
        return new LanguageModelScore(nats, nats / Math.Log(2) / charactersPerToken, Math.Exp(nats), targets);
    }

    /// <summary>Targets read for gradient statistics by default: on Moby-Dick, 200,000 gave the same score as all 1,071,264.</summary>
    public const long DefaultStatisticsTokens = 200_000;

    /// <summary>
    /// Gathers each weight's root-mean-square gradient over segments of <paramref name="tokens"/> (the training
    /// text, or part of it) for the RMS rule: the text is cut into <paramref name="batch"/> streams read statefully
    /// in windows of <paramref name="segmentLength"/> steps, and each window's gradient (of its mean loss over
    /// the batch, dropout off) is squared and averaged. Reads at most <paramref name="maxTokens"/> targets.
    /// </summary>
    /// <exception cref="RecurrentDataException">The text is too short for the streams.</exception>
    public static DynamicGradientStatistics GradientStatistics(LanguageModelNetwork network, int[] tokens, int segmentLength,
        int batch = 32, long maxTokens = DefaultStatisticsTokens, Action<double>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        if (tokens.Length < 3)
            throw new RecurrentDataException($"Gradient statistics need a text of at least 3 tokens; this one has {tokens.Length}.");
        batch = Math.Max(1, Math.Min(batch, (tokens.Length - 1) / Math.Max(2, segmentLength)));
        var streams = new TokenStreams(tokens, batch);
        int length = (int)Math.Min(streams.StreamLength, Math.Max(1, maxTokens / batch));
        Parameter[] weights = network.NamedParameters().Select(p => p.Parameter).ToArray();
        var sumSquares = weights.Select(w => new double[w.Value.Length]).ToArray();
        var square = new float[weights.Max(w => w.Value.Length)];
        var inputs = new int[segmentLength * batch];
        var targets = new int[segmentLength * batch];
        network.ZeroGrad();
        using var tape = new Tape { Training = false };
        CarriedState? state = null;
        int windows = 0;
        try
        {
            for (int position = 0; position < length; position += segmentLength)
            {
                int steps = Math.Min(segmentLength, length - position);
                int size = steps * batch;
                streams.Fill(position, steps, inputs.AsSpan(0, size), targets.AsSpan(0, size));
                var (logits, final) = network.Forward(tape, inputs.AsSpan(0, size), steps, batch, state?.AsState(), null);
                tape.Backward(tape.CrossEntropy(logits, targets.AsSpan(0, size)));
                state = CarriedState.CopyOf(final);
                tape.Reset();
                for (int i = 0; i < weights.Length; i++)
                {
                    if (weights[i].Grad is not { } grad) continue;
                    Span<float> g = grad.Span, sq = square.AsSpan(0, g.Length);
                    TensorPrimitives.Multiply(g, g, sq);
                    double[] sums = sumSquares[i];
                    for (int j = 0; j < sq.Length; j++) sums[j] += sq[j];
                    g.Clear();
                }
                windows++;
                progress?.Invoke((double)(position + steps) / length);
            }
        }
        finally
        {
            network.ZeroGrad();
        }
        var rms = sumSquares.Select(s => s.Select(x => (float)Math.Sqrt(x / windows)).ToArray()).ToArray();
        return new DynamicGradientStatistics(rms, (long)length * batch);
    }

    /// <summary>Per weight: the step factor η / (r + ε r̄) and the pull-back factor λ min(r / r̄, 1/λ).</summary>
    private static (float[][] Step, float[][] Decay) RmsScales(Parameter[] weights, DynamicGradientStatistics statistics, DynamicEvaluationOptions options)
    {
        if (statistics.Rms.Count != weights.Length || weights.Where((w, i) => w.Value.Length != statistics.Rms[i].Length).Any())
            throw new ArgumentException("The gradient statistics were gathered on a network of another shape.", nameof(statistics));
        double mean = statistics.MeanRms > 0 ? statistics.MeanRms : 1;
        var step = new float[weights.Length][];
        var decay = new float[weights.Length][];
        for (int i = 0; i < weights.Length; i++)
        {
            float[] r = statistics.Rms[i];
            step[i] = r.Select(x => (float)(options.LearningRate / (x + options.Epsilon * mean))).ToArray();
            decay[i] = r.Select(x => (float)Math.Min(options.Decay * (x / mean), 1.0)).ToArray();
        }
        return (step, decay);
    }

    /// <summary>θ ← θ − s ⊙ g + d ⊙ (θ₀ − θ), then g ← 0. <paramref name="scratch"/> holds at least θ's length.</summary>
    private static void StepScaled(Parameter weight, ReadOnlySpan<float> trained, ReadOnlySpan<float> step, ReadOnlySpan<float> decay, float[] scratch)
    {
        Span<float> theta = weight.Value.Span, work = scratch.AsSpan(0, theta.Length);
        if (weight.Grad is { } grad)
        {
            Span<float> g = grad.Span;
            TensorPrimitives.Multiply(step, g, work);
            TensorPrimitives.Subtract(theta, work, theta);
            g.Clear();
        }
        TensorPrimitives.Subtract(trained, theta, work);
        TensorPrimitives.MultiplyAdd(decay, work, theta, theta);
    }

    /// <summary>θ ← θ − η g + λ (θ₀ − θ), then g ← 0.</summary>
    private static void Step(Parameter weight, ReadOnlySpan<float> trained, DynamicEvaluationOptions options)
    {
        Span<float> theta = weight.Value.Span;
        if (weight.Grad is { } grad)
        {
            TensorPrimitives.MultiplyAdd(grad.Span, -options.LearningRate, theta, theta);
            grad.Span.Clear();
        }
        if (options.Decay > 0f)
        {
            // θ + λ(θ₀ − θ) = (1 − λ) θ + λ θ₀
            TensorPrimitives.Multiply(theta, 1f - options.Decay, theta);
            TensorPrimitives.MultiplyAdd(trained, options.Decay, theta, theta);
        }
    }
}
