// Multiplicative attention (Luong, Pham and Manning 2015):  dot: e_s = qᵀ h_s;  general: e_s = qᵀ W h_s,
// α = softmax(e), c = Σ α_s h_s. For "general" W h_s is computed once per batch (Prepare), so each step is a
// dot product against it. Parameter names follow this PyTorch module:
//   class LuongAttention(nn.Module):
//       W = nn.Linear(F, Q, bias=False)      # "general" only; "dot" has no parameters
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Luong's dot and general attention.</summary>
public sealed class LuongAttention : IAttention
{
    /// <summary>Creates the module.</summary>
    /// <param name="kind"><see cref="AttentionKind.LuongDot"/> or <see cref="AttentionKind.LuongGeneral"/>.</param>
    /// <param name="querySize">Q, the query (decoder state) size.</param>
    /// <param name="memorySize">F, the memory (encoder output) size; must equal Q for dot.</param>
    /// <param name="rng">The initialisation's random numbers (general only).</param>
    /// <exception cref="ArgumentException">Not a Luong form, or dot with Q ≠ F.</exception>
    public LuongAttention(AttentionKind kind, int querySize, int memorySize, Rng rng)
    {
        if (kind is not (AttentionKind.LuongDot or AttentionKind.LuongGeneral))
            throw new ArgumentException($"LuongAttention: the form must be luong-dot or luong-general; got {kind}.", nameof(kind));
        if (kind == AttentionKind.LuongDot && querySize != memorySize)
            throw new ArgumentException($"--attention luong-dot scores the decoder state against the encoder outputs directly, so the decoder hidden size ({querySize}) must equal the encoder output size ({memorySize}, hidden × directions); use luong-general or bahdanau, or change --hidden.", nameof(querySize));
        Kind = kind;
        if (kind == AttentionKind.LuongGeneral) W = new Linear(memorySize, querySize, rng, bias: false);
    }

    /// <inheritdoc/>
    public AttentionKind Kind { get; }

    /// <summary><c>W</c> [Q, F] of the general form; null for dot.</summary>
    public Linear? W { get; }

    /// <inheritdoc/>
    public AttentionMemory Prepare(Tape tape, Variable memory, int[] lengths) => new(memory, W is null ? memory : W.Forward(tape, memory), lengths);

    /// <inheritdoc/>
    public AttentionOutput Attend(Tape tape, Variable query, AttentionMemory memory) =>
        Attention.Normalise(tape, tape.DotScores(query, memory.Keys), memory);

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into) => W?.CollectParameters(prefix + "W.", into);
}
