// Attention of a decoder step over the encoder's outputs (the memory), as in Bahdanau et al. 2015 and
// Luong et al. 2015. Keys that depend only on the memory (U·h_s + b, W·h_s) are computed once per batch by
// Prepare, as one GEMM over all S·B rows; each decoder step then only scores its query against them,
// normalises with a softmax over each sequence's own length (padding gets weight 0) and takes the weighted
// sum of the memory:  α = softmax_s(score(q, h_s)),  c = Σ_s α_s h_s.
// Legend: S source steps, B batch, F memory features (D·H of the encoder), Q query size (decoder hidden).
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>The attention form of a sequence-to-sequence decoder.</summary>
public enum AttentionKind
{
    /// <summary>No attention: the decoder sees the source only through its initial state (Sutskever et al. 2014; Cho et al. 2014).</summary>
    None,
    /// <summary>Additive: score = vᵀ tanh(W q + U h_s + b) (Bahdanau et al. 2015).</summary>
    Bahdanau,
    /// <summary>Multiplicative: score = qᵀ h_s (Luong et al. 2015, "dot"); needs Q = F.</summary>
    LuongDot,
    /// <summary>Multiplicative: score = qᵀ W h_s (Luong et al. 2015, "general").</summary>
    LuongGeneral,
}

/// <summary>The attention forms' names in config.json and on the command line.</summary>
public static class AttentionNames
{
    public static string Name(AttentionKind kind) => kind switch
    {
        AttentionKind.None => "none",
        AttentionKind.Bahdanau => "bahdanau",
        AttentionKind.LuongDot => "luong-dot",
        _ => "luong-general",
    };

    /// <exception cref="ArgumentException">An unknown name.</exception>
    public static AttentionKind Parse(string name) => name switch
    {
        "none" => AttentionKind.None,
        "bahdanau" => AttentionKind.Bahdanau,
        "luong-dot" => AttentionKind.LuongDot,
        "luong-general" or "luong" => AttentionKind.LuongGeneral,
        _ => throw new ArgumentException($"--attention must be none, bahdanau, luong-dot or luong-general; got '{name}'."),
    };
}

/// <summary>The memory of one batch, prepared for attention.</summary>
/// <param name="Values">[S, B, F] the encoder outputs that contexts are made of.</param>
/// <param name="Keys">[S, B, K] what queries are scored against (K = A for Bahdanau, Q for Luong).</param>
/// <param name="Lengths">[B] valid steps per sequence; steps at or past a length get weight 0.</param>
public sealed record AttentionMemory(Variable Values, Variable Keys, int[] Lengths);

/// <summary>What one attention step returns.</summary>
/// <param name="Context">[B, F] the weighted sum of the memory.</param>
/// <param name="Weights">[S, B] the attention weights (each column sums to 1 over its valid steps).</param>
public readonly record struct AttentionOutput(Variable Context, Variable Weights);

/// <summary>An attention module: prepare the memory once per batch, then attend once per decoder step.</summary>
public interface IAttention : IModule
{
    /// <summary>The form.</summary>
    AttentionKind Kind { get; }

    /// <summary>Computes the keys of <paramref name="memory"/> [S, B, F] with valid <paramref name="lengths"/> [B].</summary>
    AttentionMemory Prepare(Tape tape, Variable memory, int[] lengths);

    /// <summary>Attends with <paramref name="query"/> [B, Q] over the prepared memory.</summary>
    AttentionOutput Attend(Tape tape, Variable query, AttentionMemory memory);
}

/// <summary>Creates attention modules.</summary>
public static class Attention
{
    /// <summary>The module of <paramref name="kind"/> (null for <see cref="AttentionKind.None"/>).</summary>
    /// <param name="kind">The form.</param>
    /// <param name="querySize">Q, the decoder's hidden size.</param>
    /// <param name="memorySize">F, the encoder's output size (D·H).</param>
    /// <param name="attentionSize">A, Bahdanau's hidden size (ignored by Luong's forms).</param>
    /// <param name="rng">Draws PyTorch's nn.Linear initialisation.</param>
    public static IAttention? Create(AttentionKind kind, int querySize, int memorySize, int attentionSize, Rng rng) => kind switch
    {
        AttentionKind.None => null,
        AttentionKind.Bahdanau => new BahdanauAttention(querySize, memorySize, attentionSize, rng),
        _ => new LuongAttention(kind, querySize, memorySize, rng),
    };

    /// <summary>α = masked softmax of the scores [S, B] and c = Σ_s α_s·values_s.</summary>
    internal static AttentionOutput Normalise(Tape tape, Variable scores, AttentionMemory memory)
    {
        Variable weights = tape.SoftmaxOverTime(scores, memory.Lengths);
        return new AttentionOutput(tape.WeightedSumOverTime(weights, memory.Values), weights);
    }
}
