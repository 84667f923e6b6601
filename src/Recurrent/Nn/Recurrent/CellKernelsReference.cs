// The per-step gate math of each cell in plain scalar code: the specification that the vectorised
// CellKernels are tested against. Forward and backward over the B rows of one time step.
// Legend: B batch rows, H hidden size; gate blocks are rows of width H in PyTorch's order
// (LSTM i, f, g, o; GRU r, z, n). `active[b]` is false past sequence b's length: such rows keep their
// state (hNext = hPrev, cNext = cPrev) and, in backward, pass their gradient through unchanged with zero
// gate gradients. Backward functions overwrite their gate-gradient outputs and write dHPrev's direct term
// (the recurrent-matmul term is added afterwards by the caller with one GEMM).
//
//   RNN:  h' = φ(a),  a = W_ih x + b_ih + W_hh h + b_hh           da = dh'·φ'(a)
//   LSTM: i,f,o = σ(·), g = tanh(·), c' = f⊙c + i⊙g, h' = o⊙tanh(c')
//   GRU:  r,z = σ(·), n = tanh(a_n + r⊙hn), hn = W_hn h + b_hn, h' = (1−z)⊙n + z⊙h
//   GRU (original): n = tanh(a_n + W_hn (r⊙h) + b_hn)
namespace Recurrent.Nn;

internal static class CellKernelsReference
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    // ---------------- RNN ----------------

    /// <summary>gates[b] holds a (pre-activation) on entry and h' on exit; hNext = h' for active rows, hPrev otherwise.</summary>
    public static void RnnForward(Span<float> gates, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<bool> active, int h, bool relu)
    {
        for (int b = 0; b < active.Length; b++)
        {
            Span<float> a = gates.Slice(b * h, h);
            Span<float> hn = hNext.Slice(b * h, h);
            if (!active[b]) { hPrev.Slice(b * h, h).CopyTo(hn); continue; }
            for (int j = 0; j < h; j++) a[j] = relu ? MathF.Max(a[j], 0f) : MathF.Tanh(a[j]);
            a.CopyTo(hn);
        }
    }

    /// <summary>dA = dh·φ'(a) from the saved activation; dHPrev = dh for inactive rows, 0 otherwise.</summary>
    public static void RnnBackward(ReadOnlySpan<float> act, ReadOnlySpan<float> dh, Span<float> dA, Span<float> dHPrev, ReadOnlySpan<bool> active, int h, bool relu)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b])
            {
                dA.Slice(o, h).Clear();
                dh.Slice(o, h).CopyTo(dHPrev.Slice(o, h));
                continue;
            }
            dHPrev.Slice(o, h).Clear();
            for (int j = 0; j < h; j++)
            {
                float y = act[o + j];
                // h' = φ(a)  →  da = dh'·φ'(a)
                dA[o + j] = relu ? (y > 0f ? dh[o + j] : 0f) : dh[o + j] * (1f - y * y);
            }
        }
    }

    // ---------------- LSTM ----------------

    /// <summary>gates [B, 4H]: pre-activations in, activations (i, f, g, o) out; writes c', h' and tanh(c').</summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> hPrev,
        Span<float> cNext, Span<float> hNext, Span<float> tanhC, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b])
            {
                cPrev.Slice(o, h).CopyTo(cNext.Slice(o, h));
                hPrev.Slice(o, h).CopyTo(hNext.Slice(o, h));
                continue;
            }
            Span<float> g4 = gates.Slice(b * 4 * h, 4 * h);
            for (int j = 0; j < h; j++)
            {
                float i = Sigmoid(g4[j]), f = Sigmoid(g4[h + j]), g = MathF.Tanh(g4[2 * h + j]), og = Sigmoid(g4[3 * h + j]);
                g4[j] = i; g4[h + j] = f; g4[2 * h + j] = g; g4[3 * h + j] = og;
                float c = f * cPrev[o + j] + i * g;
                float tc = MathF.Tanh(c);
                cNext[o + j] = c;
                tanhC[o + j] = tc;
                hNext[o + j] = og * tc;
            }
        }
    }

    /// <summary>
    /// From dh (total into h'), dc (carried into c'), the saved activations, c and tanh(c'): writes the
    /// pre-activation gradients dGates [B, 4H], dCPrev, and dHPrev's direct term (0, or dh for inactive rows).
    /// </summary>
    public static void LstmBackward(ReadOnlySpan<float> act, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> tanhC,
        ReadOnlySpan<float> dh, ReadOnlySpan<float> dc, Span<float> dGates, Span<float> dCPrev, Span<float> dHPrev, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> dg4 = dGates.Slice(b * 4 * h, 4 * h);
            if (!active[b])
            {
                dg4.Clear();
                dh.Slice(o, h).CopyTo(dHPrev.Slice(o, h));
                dc.Slice(o, h).CopyTo(dCPrev.Slice(o, h));
                continue;
            }
            dHPrev.Slice(o, h).Clear();
            ReadOnlySpan<float> a4 = act.Slice(b * 4 * h, 4 * h);
            for (int j = 0; j < h; j++)
            {
                float i = a4[j], f = a4[h + j], g = a4[2 * h + j], og = a4[3 * h + j], tc = tanhC[o + j];
                // h' = o⊙tanh(c')  →  do = dh·tanh(c'), dc' += dh·o·(1 − tanh²(c'))
                float dO = dh[o + j] * tc;
                float dC = dc[o + j] + dh[o + j] * og * (1f - tc * tc);
                // c' = f⊙c + i⊙g  →  df = dc'·c, di = dc'·g, dg = dc'·i, dc = dc'·f
                float dF = dC * cPrev[o + j], dI = dC * g, dG = dC * i;
                dCPrev[o + j] = dC * f;
                // i, f, o = σ(·), g = tanh(·)  →  pre-activation gradients
                dg4[j] = dI * i * (1f - i);
                dg4[h + j] = dF * f * (1f - f);
                dg4[2 * h + j] = dG * (1f - g * g);
                dg4[3 * h + j] = dO * og * (1f - og);
            }
        }
    }

    // ---------------- GRU (PyTorch form) ----------------

    /// <summary>
    /// pre [B, 3H]: input-side pre-activations in (W_i· x + b_i·), activations (r, z, n) out; hh [B, 3H]:
    /// W_hh h + b_hh; saves hn = hh's n block; writes h'.
    /// </summary>
    public static void GruForward(Span<float> pre, ReadOnlySpan<float> hh, ReadOnlySpan<float> hPrev, Span<float> hNext, Span<float> hnSave, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b]) { hPrev.Slice(o, h).CopyTo(hNext.Slice(o, h)); continue; }
            Span<float> p3 = pre.Slice(b * 3 * h, 3 * h);
            ReadOnlySpan<float> h3 = hh.Slice(b * 3 * h, 3 * h);
            for (int j = 0; j < h; j++)
            {
                float r = Sigmoid(p3[j] + h3[j]);
                float z = Sigmoid(p3[h + j] + h3[h + j]);
                float hn = h3[2 * h + j];
                float n = MathF.Tanh(p3[2 * h + j] + r * hn);
                p3[j] = r; p3[h + j] = z; p3[2 * h + j] = n;
                hnSave[o + j] = hn;
                hNext[o + j] = (1f - z) * n + z * hPrev[o + j];
            }
        }
    }

    /// <summary>
    /// Writes dPre [B, 3H] (input side: dr, dz, dn pre-activation), dHh [B, 3H] (recurrent side: dr, dz,
    /// r⊙dn) and dHPrev's direct term dh⊙z (dh for inactive rows).
    /// </summary>
    public static void GruBackward(ReadOnlySpan<float> act, ReadOnlySpan<float> hn, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh,
        Span<float> dPre, Span<float> dHh, Span<float> dHPrev, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> dp3 = dPre.Slice(b * 3 * h, 3 * h), dh3 = dHh.Slice(b * 3 * h, 3 * h);
            if (!active[b])
            {
                dp3.Clear();
                dh3.Clear();
                dh.Slice(o, h).CopyTo(dHPrev.Slice(o, h));
                continue;
            }
            ReadOnlySpan<float> a3 = act.Slice(b * 3 * h, 3 * h);
            for (int j = 0; j < h; j++)
            {
                float r = a3[j], z = a3[h + j], n = a3[2 * h + j], d = dh[o + j];
                // h' = (1−z)⊙n + z⊙h  →  dn = dh'(1−z), dz = dh'(h − n), dh = dh'·z
                float dN = d * (1f - z), dZ = d * (hPrev[o + j] - n);
                dHPrev[o + j] = d * z;
                // n = tanh(a_n + r⊙hn)  →  da_n = dn(1−n²), dr = da_n·hn, dhn = da_n·r
                float dAn = dN * (1f - n * n);
                float dR = dAn * hn[o + j];
                // r, z = σ(·)
                float dAr = dR * r * (1f - r), dAz = dZ * z * (1f - z);
                dp3[j] = dAr; dp3[h + j] = dAz; dp3[2 * h + j] = dAn;
                dh3[j] = dAr; dh3[h + j] = dAz; dh3[2 * h + j] = dAn * r;
            }
        }
    }

    // ---------------- GRU (original form) ----------------

    /// <summary>Phase 1: r, z from pre [B, 3H] + hhRz [B, 2H]; writes r⊙h into rh [B, H].</summary>
    public static void GruOriginalGates(Span<float> pre, ReadOnlySpan<float> hhRz, ReadOnlySpan<float> hPrev, Span<float> rh, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b]) { rh.Slice(o, h).Clear(); continue; }
            Span<float> p3 = pre.Slice(b * 3 * h, 3 * h);
            ReadOnlySpan<float> h2 = hhRz.Slice(b * 2 * h, 2 * h);
            for (int j = 0; j < h; j++)
            {
                float r = Sigmoid(p3[j] + h2[j]);
                p3[j] = r;
                p3[h + j] = Sigmoid(p3[h + j] + h2[h + j]);
                rh[o + j] = r * hPrev[o + j];
            }
        }
    }

    /// <summary>Phase 2: n = tanh(a_n + hn) with hn = W_hn (r⊙h) + b_hn; writes n into pre's n block and h'.</summary>
    public static void GruOriginalOutput(Span<float> pre, ReadOnlySpan<float> hn, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b]) { hPrev.Slice(o, h).CopyTo(hNext.Slice(o, h)); continue; }
            Span<float> p3 = pre.Slice(b * 3 * h, 3 * h);
            for (int j = 0; j < h; j++)
            {
                float z = p3[h + j];
                float n = MathF.Tanh(p3[2 * h + j] + hn[o + j]);
                p3[2 * h + j] = n;
                hNext[o + j] = (1f - z) * n + z * hPrev[o + j];
            }
        }
    }

    /// <summary>
    /// Backward phase 1: from dh' writes dHPrev's direct term (dh'·z), the z gradient into dPre and
    /// dAn = dn(1−n²) into dPre's n block (also the gradient of hn); r's gradient needs d(r⊙h) first.
    /// </summary>
    public static void GruOriginalBackwardOutput(ReadOnlySpan<float> act, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh,
        Span<float> dPre, Span<float> dHPrev, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> dp3 = dPre.Slice(b * 3 * h, 3 * h);
            if (!active[b])
            {
                dp3.Clear();
                dh.Slice(o, h).CopyTo(dHPrev.Slice(o, h));
                continue;
            }
            ReadOnlySpan<float> a3 = act.Slice(b * 3 * h, 3 * h);
            for (int j = 0; j < h; j++)
            {
                float z = a3[h + j], n = a3[2 * h + j], d = dh[o + j];
                // h' = (1−z)⊙n + z⊙h
                dHPrev[o + j] = d * z;
                dp3[h + j] = d * (hPrev[o + j] - n) * z * (1f - z);
                // n = tanh(a_n + hn)
                dp3[2 * h + j] = d * (1f - z) * (1f - n * n);
            }
        }
    }

    /// <summary>Backward phase 2: from d(r⊙h) [B, H] adds r⊙d(rh) to dHPrev and writes r's pre-activation gradient.</summary>
    public static void GruOriginalBackwardReset(ReadOnlySpan<float> act, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dRh,
        Span<float> dPre, Span<float> dHPrev, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            if (!active[b]) continue;
            int o = b * h;
            ReadOnlySpan<float> a3 = act.Slice(b * 3 * h, 3 * h);
            Span<float> dp3 = dPre.Slice(b * 3 * h, 3 * h);
            for (int j = 0; j < h; j++)
            {
                float r = a3[j];
                // rh = r⊙h  →  dh += d(rh)·r, dr = d(rh)·h;  r = σ(·)
                dHPrev[o + j] += dRh[o + j] * r;
                dp3[j] = dRh[o + j] * hPrev[o + j] * r * (1f - r);
            }
        }
    }
}
