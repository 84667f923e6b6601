// Additive attention (Bahdanau, Cho and Bengio 2015):  e_s = vᵀ tanh(W q + U h_s + b),  α = softmax(e),
// c = Σ α_s h_s. U h_s + b is computed once per batch (Prepare); a step costs one [B, Q]·[Q, A] GEMM for W q
// and the fused tanh-and-dot of AdditiveScores. Parameter names follow this PyTorch module:
//   class BahdanauAttention(nn.Module):
//       W = nn.Linear(Q, A, bias=False); U = nn.Linear(F, A); v = nn.Linear(A, 1, bias=False)
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Bahdanau's additive attention.</summary>
public sealed class BahdanauAttention : IAttention
{
    /// <summary>Creates the module with PyTorch's nn.Linear initialisation.</summary>
    /// <param name="querySize">Q, the query (decoder state) size.</param>
    /// <param name="memorySize">F, the memory (encoder output) size.</param>
    /// <param name="attentionSize">A, the size of the hidden layer of the score.</param>
    /// <param name="rng">The initialisation's random numbers.</param>
    public BahdanauAttention(int querySize, int memorySize, int attentionSize, Rng rng)
    {
        W = new Linear(querySize, attentionSize, rng, bias: false);
        U = new Linear(memorySize, attentionSize, rng);
        V = new Linear(attentionSize, 1, rng, bias: false);
    }

    /// <inheritdoc/>
    public AttentionKind Kind => AttentionKind.Bahdanau;

    /// <summary><c>W</c>: the query projection, weight [A, Q].</summary>
    public Linear W { get; }

    /// <summary><c>U</c>: the memory projection, weight [A, F], bias [A].</summary>
    public Linear U { get; }

    /// <summary><c>v</c>: the score vector, weight [1, A].</summary>
    public Linear V { get; }

    /// <inheritdoc/>
    public AttentionMemory Prepare(Tape tape, Variable memory, int[] lengths) => new(memory, U.Forward(tape, memory), lengths);

    /// <inheritdoc/>
    public AttentionOutput Attend(Tape tape, Variable query, AttentionMemory memory) =>
        Attention.Normalise(tape, tape.AdditiveScores(W.Forward(tape, query), memory.Keys, V.Weight), memory);

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        W.CollectParameters(prefix + "W.", into);
        U.CollectParameters(prefix + "U.", into);
        V.CollectParameters(prefix + "v.", into);
    }
}
