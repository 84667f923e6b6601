// Attention scores of one decoder step against a time-major memory, forward and backward together.
// Legend: S memory positions (source steps), B batch, F feature size, A attention size.
//   DotScores:      e[s, b] = q[b] · k[s, b]                          (Luong dot; general with k = W·h)
//     dq[b] += Σ_s de[s, b]·k[s, b],   dk[s, b] += de[s, b]·q[b]
//   AdditiveScores: e[s, b] = Σ_a v[a]·tanh(k[s, b, a] + q[b, a])     (Bahdanau, with q = W·query, k = U·h + b)
//     g[s, b, a] = de[s, b]·v[a]·(1 − tanh²),   dk += g,   dq[b] += Σ_s g[s, b],   dv[a] += Σ_{s,b} de[s, b]·tanh[s, b, a]
// Scores past a sequence's length are computed like the others; the masked softmax that follows
// (SoftmaxOverTime) gives them weight 0 and so gradient 0. Backward accumulates (+=).
using System.Numerics.Tensors;
using Recurrent.Autograd;

namespace Recurrent.Nn;

/// <summary>Score ops for attention over a time-major memory.</summary>
public static class AttentionScoreOps
{
    /// <summary>e[s, b] = q[b]·k[s, b]. query [B, F], keys [S, B, F] → scores [S, B].</summary>
    /// <exception cref="ArgumentException">The shapes do not fit.</exception>
    public static Variable DotScores(this Tape tape, Variable query, Variable keys)
    {
        var (s, b, f) = CheckShapes("DotScores", query, keys);
        Variable e = tape.Result([s, b], tape.NeedsGrad(query, keys), clear: false);
        ReadOnlySpan<float> q = query.Value.Span, k = keys.Value.Span;
        Span<float> es = e.Value.Span;
        for (int t = 0; t < s; t++)
            for (int j = 0; j < b; j++)
                es[t * b + j] = TensorPrimitives.Dot(q.Slice(j * f, f), k.Slice((t * b + j) * f, f));
        if (e.RequiresGrad) tape.Record(new DotNode(query, keys, e, s, b, f));
        return e;
    }

    /// <summary>e[s, b] = Σ_a v[a]·tanh(k[s, b, a] + q[b, a]). query [B, A], keys [S, B, A], v [A] → scores [S, B].</summary>
    /// <exception cref="ArgumentException">The shapes do not fit.</exception>
    public static Variable AdditiveScores(this Tape tape, Variable query, Variable keys, Variable v)
    {
        var (s, b, a) = CheckShapes("AdditiveScores", query, keys);
        if (v.Value.Length != a)
            throw new ArgumentException($"AdditiveScores: v must have {a} elements (the attention size); got {v.Value.ShapeText}.", nameof(v));
        bool needsGrad = tape.NeedsGrad(query, keys, v);
        Variable e = tape.Result([s, b], needsGrad, clear: false);
        Variable hidden = tape.Result([s, b, a], requiresGrad: false, clear: false); // tanh(k + q), kept for backward
        ReadOnlySpan<float> q = query.Value.Span, k = keys.Value.Span, vs = v.Value.Span;
        Span<float> es = e.Value.Span, hs = hidden.Value.Span;
        for (int t = 0; t < s; t++)
            for (int j = 0; j < b; j++)
            {
                Span<float> row = hs.Slice((t * b + j) * a, a);
                TensorPrimitives.Add(k.Slice((t * b + j) * a, a), q.Slice(j * a, a), row);
                TensorPrimitives.Tanh(row, row);
                es[t * b + j] = TensorPrimitives.Dot(row, vs);
            }
        if (needsGrad) tape.Record(new AdditiveNode(query, keys, v, hidden, e, s, b, a));
        return e;
    }

    private static (int S, int B, int F) CheckShapes(string op, Variable query, Variable keys)
    {
        if (query.Value.Rank != 2 || keys.Value.Rank != 3 || keys.Value.Dim(1) != query.Value.Dim(0) || keys.Value.Dim(2) != query.Value.Dim(1))
            throw new ArgumentException($"{op}: query [B, F] and keys [S, B, F] must agree; got query {query.Value.ShapeText} and keys {keys.Value.ShapeText}.");
        return (keys.Value.Dim(0), keys.Value.Dim(1), keys.Value.Dim(2));
    }

    private sealed class DotNode(Variable query, Variable keys, Variable e, int s, int b, int f) : TapeNode
    {
        public override void Backward()
        {
            if (e.Grad is null) return;
            ReadOnlySpan<float> de = e.Grad.Span, q = query.Value.Span, k = keys.Value.Span;
            // e[s, b] = q[b]·k[s, b]  →  dk[s, b] += de[s, b]·q[b]
            if (keys.RequiresGrad)
            {
                Span<float> dk = keys.EnsureGrad().Span;
                for (int t = 0; t < s; t++)
                    for (int j = 0; j < b; j++)
                        TensorPrimitives.MultiplyAdd(q.Slice(j * f, f), de[t * b + j], dk.Slice((t * b + j) * f, f), dk.Slice((t * b + j) * f, f));
            }
            // e[s, b] = q[b]·k[s, b]  →  dq[b] += Σ_s de[s, b]·k[s, b]
            if (query.RequiresGrad)
            {
                Span<float> dq = query.EnsureGrad().Span;
                for (int t = 0; t < s; t++)
                    for (int j = 0; j < b; j++)
                        TensorPrimitives.MultiplyAdd(k.Slice((t * b + j) * f, f), de[t * b + j], dq.Slice(j * f, f), dq.Slice(j * f, f));
            }
        }
    }

    private sealed class AdditiveNode(Variable query, Variable keys, Variable v, Variable hidden, Variable e, int s, int b, int a) : TapeNode
    {
        public override void Backward()
        {
            if (e.Grad is null) return;
            ReadOnlySpan<float> de = e.Grad.Span, vs = v.Value.Span;
            ReadOnlySpan<float> hs = hidden.Value.Span;
            Span<float> dPre = new float[a];
            Span<float> dv = v.RequiresGrad ? v.EnsureGrad().Span : default;
            Span<float> dq = query.RequiresGrad ? query.EnsureGrad().Span : default;
            Span<float> dk = keys.RequiresGrad ? keys.EnsureGrad().Span : default;
            for (int t = 0; t < s; t++)
                for (int j = 0; j < b; j++)
                {
                    float g = de[t * b + j];
                    ReadOnlySpan<float> row = hs.Slice((t * b + j) * a, a);
                    // e = v·h  →  dv += de·h
                    if (v.RequiresGrad) TensorPrimitives.MultiplyAdd(row, g, dv, dv);
                    // h = tanh(k + q)  →  dpre = de·v ⊙ (1 − h²)
                    TensorPrimitives.Multiply(row, row, dPre);
                    TensorPrimitives.Subtract(1f, dPre, dPre);
                    TensorPrimitives.Multiply(dPre, vs, dPre);
                    TensorPrimitives.Multiply(dPre, g, dPre);
                    // pre = k + q  →  dk += dpre, dq += dpre
                    if (keys.RequiresGrad) TensorPrimitives.Add(dk.Slice((t * b + j) * a, a), dPre, dk.Slice((t * b + j) * a, a));
                    if (query.RequiresGrad) TensorPrimitives.Add(dq.Slice(j * a, a), dPre, dq.Slice(j * a, a));
                }
        }
    }
}
