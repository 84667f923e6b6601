// Dynamic evaluation (Krause, Kahembwe, Murray & Renals 2018, "Dynamic Evaluation of Neural Sequence Models"),
// SGD form: the text is read once, in order, in segments s_1, s_2, …; each segment is scored with the current
// weights and only then used for one gradient step, pulled back towards the trained weights θ₀:
//   score s_i with θ_{i−1};   θ_i = θ_{i−1} − η ∇L(s_i; θ_{i−1}) + λ (θ₀ − θ_{i−1})
// Every prediction depends on the text before it only (as an adaptive compressor's does), so the figure is a
// fair sequential score; it is reported apart from the static one. The network's weights are restored at the end.
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>Settings of dynamic evaluation. Validates itself.</summary>
public sealed record DynamicEvaluationOptions
{
    /// <summary>Creates the settings.</summary>
    /// <param name="learningRate">η, the SGD step on each segment's mean loss (default 0.2).</param>
    /// <param name="decay">λ, the pull back towards the trained weights per segment, in [0, 1] (default 0.001).</param>
    /// <param name="segmentLength">Tokens per segment: scored together, then learned from (default 50).</param>
    /// <param name="clip">Global gradient-norm clip per step; 0 turns it off (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public DynamicEvaluationOptions(float learningRate = 0.2f, float decay = 0.001f, int segmentLength = 50, float clip = 1f)
    {
        if (!(learningRate > 0f && float.IsFinite(learningRate))) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The dynamic-evaluation learning rate must be > 0.");
        if (!(decay >= 0f && decay <= 1f)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The dynamic-evaluation decay must be in [0, 1].");
        if (segmentLength < 1) throw new ArgumentOutOfRangeException(nameof(segmentLength), segmentLength, "The dynamic-evaluation segment must be ≥ 1 token.");
        if (!(clip >= 0f && float.IsFinite(clip))) throw new ArgumentOutOfRangeException(nameof(clip), clip, "The dynamic-evaluation clip must be ≥ 0.");
        (LearningRate, Decay, SegmentLength, Clip) = (learningRate, decay, segmentLength, clip);
    }

    public float LearningRate { get; }
    public float Decay { get; }
    public int SegmentLength { get; }
    public float Clip { get; }
}

/// <summary>Scores a text while adapting the model to it, segment by segment (see the file header).</summary>
public static class DynamicEvaluation
{
    /// <summary>
    /// Scores <paramref name="tokens"/> as one stream with dynamic evaluation; the network's weights are the
    /// trained ones again when this returns. <paramref name="progress"/> receives the fraction done.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static LanguageModelScore Evaluate(LanguageModelNetwork network, int[] tokens, double charactersPerToken,
        DynamicEvaluationOptions options, Action<double>? progress = null)
    {
        if (tokens.Length < 2)
            throw new RecurrentDataException($"Evaluation needs at least 2 tokens; the text has {tokens.Length}.");
        IReadOnlyList<NamedParameter> parameters = network.NamedParameters();
        Parameter[] weights = parameters.Select(p => p.Parameter).ToArray();
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
                totalNats += sum.Value[0];      // scored before the weights learn from this segment
                tape.Backward(tape.Scale(sum, 1f / steps));
                state = CarriedState.CopyOf(final);
                tape.Reset();
                if (options.Clip > 0f) GradientClipping.ClipByGlobalNorm(weights, options.Clip);
                for (int i = 0; i < weights.Length; i++) Step(weights[i], trained[i].Span, options);
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
