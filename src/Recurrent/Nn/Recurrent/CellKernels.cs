// The per-step gate math of each cell, forward and backward, over the B rows of one time step:
// the fast path. Forward passes use FastActivations (vectorised sigmoid/tanh over each gate block) and
// TensorPrimitives for the products; backward passes are plain arithmetic in Vector256 loops with scalar tails. CellKernelsReference
// holds the same math in scalar code and is the spec these are tested against (CellKernelsTests).
// Legend: B batch rows, H hidden size; gate blocks are rows of width H in PyTorch's order (LSTM i, f, g, o;
// GRU r, z, n). Inactive rows (past a sequence's end) keep their state and pass gradients through.
//   RNN:  h' = φ(a)                       LSTM: c' = f⊙c + i⊙g, h' = o⊙tanh(c')
//   GRU:  n = tanh(a_n + r⊙hn), h' = (1−z)⊙n + z⊙h = n + z⊙(h − n)
//   GRU (original): n = tanh(a_n + W_hn (r⊙h) + b_hn)
//   LN-LSTM: a += γ_hh⊙LN(W_hh h) (the input side arrives normalised), c' = f⊙c + i⊙g, h' = o⊙tanh(γ_c⊙LN(c') + β_c)
using System.Runtime.Intrinsics;
using Recurrent.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Recurrent.Nn;

internal static class CellKernels
{
    private const int W = 8; // Vector256<float> lanes

    // ---------------- RNN ----------------

    public static void RnnForward(Span<float> gates, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<bool> active, int h, bool relu)
    {
        for (int b = 0; b < active.Length; b++)
        {
            Span<float> a = gates.Slice(b * h, h), hn = hNext.Slice(b * h, h);
            if (!active[b]) { hPrev.Slice(b * h, h).CopyTo(hn); continue; }
            if (relu) TensorPrimitives.Max(a, 0f, a);
            else FastActivations.Tanh(a, a);
            a.CopyTo(hn);
        }
    }

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
            ReadOnlySpan<float> y = act.Slice(o, h), d = dh.Slice(o, h);
            Span<float> da = dA.Slice(o, h);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
                for (; j + W <= h; j += W)
                {
                    var yv = Vector256.Create(y.Slice(j, W));
                    var dv = Vector256.Create(d.Slice(j, W));
                    var r = relu ? dv & Vector256.GreaterThan(yv, Vector256<float>.Zero) : dv * (Vector256<float>.One - yv * yv);
                    r.CopyTo(da.Slice(j, W));
                }
            for (; j < h; j++) da[j] = relu ? (y[j] > 0f ? d[j] : 0f) : d[j] * (1f - y[j] * y[j]);
        }
    }

    // ---------------- LSTM ----------------

    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> hPrev,
        Span<float> cNext, Span<float> hNext, Span<float> tanhC, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> cn = cNext.Slice(o, h), hn = hNext.Slice(o, h);
            if (!active[b])
            {
                cPrev.Slice(o, h).CopyTo(cn);
                hPrev.Slice(o, h).CopyTo(hn);
                continue;
            }
            // i, f, g, o; c' = f⊙c + i⊙g; h' = o⊙tanh(c'), in one pass over the row
            FastActivations.LstmCell(gates.Slice(b * 4 * h, 4 * h), cPrev.Slice(o, h), cn, hn, tanhC.Slice(o, h), h);
        }
    }

    /// <summary>One row: the pre-activations in <paramref name="g4"/> become i, f, g, o; c' = f⊙c + i⊙g.</summary>
    private static void GatesAndCell(Span<float> g4, ReadOnlySpan<float> cPrev, Span<float> cNext, int h)
    {
        FastActivations.Sigmoid(g4[..(2 * h)], g4[..(2 * h)]);           // i, f
        FastActivations.Tanh(g4.Slice(2 * h, h), g4.Slice(2 * h, h));     // g
        FastActivations.Sigmoid(g4.Slice(3 * h, h), g4.Slice(3 * h, h));  // o
        TensorPrimitives.Multiply(g4.Slice(h, h), cPrev, cNext);          // f⊙c
        TensorPrimitives.MultiplyAdd(g4[..h], g4.Slice(2 * h, h), cNext, cNext); // + i⊙g
    }

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
            ReadOnlySpan<float> a4 = act.Slice(b * 4 * h, 4 * h), tc = tanhC.Slice(o, h), dhr = dh.Slice(o, h);
            if (!a4.Overlaps(dg4)) a4.CopyTo(dg4);   // the gate gradients are computed over the activations
            // dc_{t−1} takes the total cell gradient first; LstmGateGradients then turns it into dC⊙f in place.
            Span<float> dC = dCPrev.Slice(o, h);
            CellGradient(dc.Slice(o, h), dhr, dg4.Slice(3 * h, h), tc, dC);
            LstmGateGradients(dg4, cPrev.Slice(o, h), tc, dhr, dC, dC, h);
        }
    }

    /// <summary>dC = dc + dh⊙o⊙(1 − tanh²(c)): what reaches c_t from the step after and through h_t = o⊙tanh(c_t).</summary>
    private static void CellGradient(ReadOnlySpan<float> dc, ReadOnlySpan<float> dh, ReadOnlySpan<float> o, ReadOnlySpan<float> tc, Span<float> dC)
    {
        int j = 0, h = dC.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; j + W <= h; j += W)
            {
                var vt = Vector256.Create(tc.Slice(j, W));
                (Vector256.Create(dc.Slice(j, W)) + Vector256.Create(dh.Slice(j, W)) * Vector256.Create(o.Slice(j, W)) * (one - vt * vt)).CopyTo(dC.Slice(j, W));
            }
        }
        for (; j < h; j++) dC[j] = dc[j] + dh[j] * o[j] * (1f - tc[j] * tc[j]);
    }

    // ---------------- Layer-normalised LSTM ----------------

    /// <summary>
    /// <paramref name="gates"/> [n, 4H] hold the normalised input side with the biases, <paramref name="hHat"/> [n, 4H]
    /// the raw recurrent products W_hh·h: each is normalised in place (x̂ kept for backward, its r in
    /// <paramref name="hRstd"/>), scaled by γ_hh and added to the gates; then the LSTM update with the new cell
    /// normalised into <paramref name="cHat"/> (r in <paramref name="cRstd"/>). Inactive rows keep their state; their
    /// saved x̂ and r are zero, so backward's sums over rows pass over them.
    /// </summary>
    public static void LayerNormLstmForward(Span<float> gates, Span<float> hHat, Span<float> hRstd, ReadOnlySpan<float> gainHh,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> hPrev, Span<float> cNext, Span<float> hNext, Span<float> cHat, Span<float> cRstd,
        ReadOnlySpan<float> gainC, ReadOnlySpan<float> biasC, ReadOnlySpan<bool> active, int h)
    {
        int g = 4 * h;
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> cn = cNext.Slice(o, h), hn = hNext.Slice(o, h), hh = hHat.Slice(b * g, g), ch = cHat.Slice(o, h);
            if (!active[b])
            {
                cPrev.Slice(o, h).CopyTo(cn);
                hPrev.Slice(o, h).CopyTo(hn);
                hh.Clear();
                ch.Clear();
                (hRstd[b], cRstd[b]) = (0f, 0f);
                continue;
            }
            Span<float> g4 = gates.Slice(b * g, g);
            hRstd[b] = LayerNormRows.NormalizeRow(hh);
            TensorPrimitives.MultiplyAdd(hh, gainHh, g4, g4);
            GatesAndCell(g4, cPrev.Slice(o, h), cn, h);
            cn.CopyTo(ch);
            cRstd[b] = LayerNormRows.NormalizeRow(ch);
            TensorPrimitives.MultiplyAdd(ch, gainC, biasC, hn);
            FastActivations.Tanh(hn, hn);
            TensorPrimitives.Multiply(g4.Slice(3 * h, h), hn, hn);             // o⊙tanh(γ_c⊙ĉ + β_c)
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNormLstmForward"/> for n rows: the gate activations in <paramref name="act"/> become the
    /// gates' gradients (what reaches the input side and the biases); <paramref name="dHh"/> [n, 4H] receives the gradient
    /// of the raw recurrent products (for dW_hh and dh_{t−1}, which is cleared here for the GEMM to add into);
    /// <paramref name="dCc"/> [n, H] the gradient of γ_c⊙ĉ + β_c (for the cell gains). <paramref name="work"/> holds 2H per row.
    /// </summary>
    public static void LayerNormLstmBackward(Span<float> act, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> cHat, ReadOnlySpan<float> cRstd,
        ReadOnlySpan<float> gainC, ReadOnlySpan<float> biasC, ReadOnlySpan<float> hHat, ReadOnlySpan<float> hRstd, ReadOnlySpan<float> gainHh,
        ReadOnlySpan<float> dh, ReadOnlySpan<float> dc, Span<float> dCc, Span<float> dHh, Span<float> dCPrev, Span<float> dHPrev,
        Span<float> work, ReadOnlySpan<bool> active, int h)
    {
        int g = 4 * h;
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> dg4 = act.Slice(b * g, g), dhh = dHh.Slice(b * g, g), dcc = dCc.Slice(o, h);
            if (!active[b])
            {
                dg4.Clear();
                dhh.Clear();
                dcc.Clear();
                dh.Slice(o, h).CopyTo(dHPrev.Slice(o, h));
                dc.Slice(o, h).CopyTo(dCPrev.Slice(o, h));
                continue;
            }
            dHPrev.Slice(o, h).Clear();
            ReadOnlySpan<float> ch = cHat.Slice(o, h), dhr = dh.Slice(o, h), og = dg4.Slice(3 * h, h);
            Span<float> tc = work.Slice(2 * o, h), dC = work.Slice(2 * o + h, h);
            TensorPrimitives.MultiplyAdd(ch, gainC, biasC, tc);
            FastActivations.Tanh(tc, tc);
            // d(γ_c⊙ĉ + β_c) = dh ⊙ o ⊙ (1 − tanh²)
            TensorPrimitives.Multiply(tc, tc, dcc);
            TensorPrimitives.Subtract(1f, dcc, dcc);
            TensorPrimitives.Multiply(dcc, og, dcc);
            TensorPrimitives.Multiply(dcc, dhr, dcc);
            // through the cell normalisation (dC as scratch for g = dcc⊙γ_c), plus what flows in from step t+1
            LayerNormRows.BackwardRow(dcc, gainC, ch, cRstd[b], dC, dhh);
            TensorPrimitives.Add(dC, dc.Slice(o, h), dC);
            LstmGateGradients(dg4, cPrev.Slice(o, h), tc, dhr, dC, dCPrev.Slice(o, h), h);
            // the recurrent normalisation: gates += γ_hh⊙x̂, x̂ = LN(W_hh h)
            LayerNormRows.BackwardRow(dg4, gainHh, hHat.Slice(b * g, g), hRstd[b], dhh, dhh);
        }
    }

    /// <summary>
    /// One row: from the total cell gradient dC and the activations in <paramref name="a4"/> (overwritten by the gate
    /// gradients), dc_{t−1} = dC⊙f. <paramref name="dcp"/> may be the same span as <paramref name="dC"/>.
    /// </summary>
    private static void LstmGateGradients(Span<float> a4, ReadOnlySpan<float> cp, ReadOnlySpan<float> tc, ReadOnlySpan<float> dhr,
        ReadOnlySpan<float> dC, Span<float> dcp, int h)
    {
        Span<float> i = a4[..h], f = a4.Slice(h, h), g = a4.Slice(2 * h, h), og = a4.Slice(3 * h, h);
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; j + W <= h; j += W)
            {
                var vi = Vector256.Create(i.Slice(j, W)); var vf = Vector256.Create(f.Slice(j, W));
                var vg = Vector256.Create(g.Slice(j, W)); var vo = Vector256.Create(og.Slice(j, W));
                var vt = Vector256.Create(tc.Slice(j, W)); var vC = Vector256.Create(dC.Slice(j, W));
                (vC * vf).CopyTo(dcp.Slice(j, W));
                (vC * vg * vi * (one - vi)).CopyTo(i.Slice(j, W));
                (vC * Vector256.Create(cp.Slice(j, W)) * vf * (one - vf)).CopyTo(f.Slice(j, W));
                (vC * vi * (one - vg * vg)).CopyTo(g.Slice(j, W));
                (Vector256.Create(dhr.Slice(j, W)) * vt * vo * (one - vo)).CopyTo(og.Slice(j, W));
            }
        }
        for (; j < h; j++)
        {
            // Read every input first: the outputs may be written over them (in place).
            float vi = i[j], vf = f[j], vg = g[j], vo = og[j], vC = dC[j];
            dcp[j] = vC * vf;
            i[j] = vC * vg * vi * (1f - vi);
            f[j] = vC * cp[j] * vf * (1f - vf);
            g[j] = vC * vi * (1f - vg * vg);
            og[j] = dhr[j] * tc[j] * vo * (1f - vo);
        }
    }

    // ---------------- GRU (PyTorch form) ----------------

    public static void GruForward(Span<float> pre, ReadOnlySpan<float> hh, ReadOnlySpan<float> hPrev, Span<float> hNext, Span<float> hnSave, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            Span<float> hNextRow = hNext.Slice(o, h);
            if (!active[b]) { hPrev.Slice(o, h).CopyTo(hNextRow); continue; }
            Span<float> p3 = pre.Slice(b * 3 * h, 3 * h);
            ReadOnlySpan<float> h3 = hh.Slice(b * 3 * h, 3 * h);
            Span<float> rz = p3[..(2 * h)], n = p3.Slice(2 * h, h);
            TensorPrimitives.Add(rz, h3[..(2 * h)], rz);
            FastActivations.Sigmoid(rz, rz);
            ReadOnlySpan<float> hn = h3.Slice(2 * h, h);
            hn.CopyTo(hnSave.Slice(o, h));
            TensorPrimitives.MultiplyAdd(rz[..h], hn, n, n);        // a_n + r⊙hn
            FastActivations.Tanh(n, n);
            MixUpdate(p3.Slice(h, h), n, hPrev.Slice(o, h), hNextRow);
        }
    }

    /// <summary>h' = n + z⊙(h − n).</summary>
    private static void MixUpdate(ReadOnlySpan<float> z, ReadOnlySpan<float> n, ReadOnlySpan<float> hPrev, Span<float> hNext)
    {
        TensorPrimitives.Subtract(hPrev, n, hNext);
        TensorPrimitives.MultiplyAdd(z, hNext, n, hNext);
    }

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
            ReadOnlySpan<float> r = a3[..h], z = a3.Slice(h, h), n = a3.Slice(2 * h, h);
            ReadOnlySpan<float> hnr = hn.Slice(o, h), hp = hPrev.Slice(o, h), d = dh.Slice(o, h);
            Span<float> dhp = dHPrev.Slice(o, h);
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var one = Vector256<float>.One;
                for (; j + W <= h; j += W)
                {
                    var vr = Vector256.Create(r.Slice(j, W)); var vz = Vector256.Create(z.Slice(j, W)); var vn = Vector256.Create(n.Slice(j, W));
                    var vd = Vector256.Create(d.Slice(j, W));
                    (vd * vz).CopyTo(dhp.Slice(j, W));
                    var dAn = vd * (one - vz) * (one - vn * vn);
                    var dAr = dAn * Vector256.Create(hnr.Slice(j, W)) * vr * (one - vr);
                    var dAz = vd * (Vector256.Create(hp.Slice(j, W)) - vn) * vz * (one - vz);
                    dAr.CopyTo(dp3.Slice(j, W)); dAz.CopyTo(dp3.Slice(h + j, W)); dAn.CopyTo(dp3.Slice(2 * h + j, W));
                    dAr.CopyTo(dh3.Slice(j, W)); dAz.CopyTo(dh3.Slice(h + j, W)); (dAn * vr).CopyTo(dh3.Slice(2 * h + j, W));
                }
            }
            for (; j < h; j++)
            {
                // Read every activation first: the gradients may be written over them (in place).
                float vr = r[j], vz = z[j], vn = n[j];
                dhp[j] = d[j] * vz;
                float dAn = d[j] * (1f - vz) * (1f - vn * vn);
                float dAr = dAn * hnr[j] * vr * (1f - vr);
                float dAz = d[j] * (hp[j] - vn) * vz * (1f - vz);
                dp3[j] = dAr; dp3[h + j] = dAz; dp3[2 * h + j] = dAn;
                dh3[j] = dAr; dh3[h + j] = dAz; dh3[2 * h + j] = dAn * vr;
            }
        }
    }

    // ---------------- GRU (original form) ----------------

    public static void GruOriginalGates(Span<float> pre, ReadOnlySpan<float> hhRz, ReadOnlySpan<float> hPrev, Span<float> rh, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b]) { rh.Slice(o, h).Clear(); continue; }
            Span<float> rz = pre.Slice(b * 3 * h, 2 * h);
            TensorPrimitives.Add(rz, hhRz.Slice(b * 2 * h, 2 * h), rz);
            FastActivations.Sigmoid(rz, rz);
            TensorPrimitives.Multiply(rz[..h], hPrev.Slice(o, h), rh.Slice(o, h));
        }
    }

    public static void GruOriginalOutput(Span<float> pre, ReadOnlySpan<float> hn, ReadOnlySpan<float> hPrev, Span<float> hNext, ReadOnlySpan<bool> active, int h)
    {
        for (int b = 0; b < active.Length; b++)
        {
            int o = b * h;
            if (!active[b]) { hPrev.Slice(o, h).CopyTo(hNext.Slice(o, h)); continue; }
            Span<float> p3 = pre.Slice(b * 3 * h, 3 * h), n = p3.Slice(2 * h, h);
            TensorPrimitives.Add(n, hn.Slice(o, h), n);
            FastActivations.Tanh(n, n);
            MixUpdate(p3.Slice(h, h), n, hPrev.Slice(o, h), hNext.Slice(o, h));
        }
    }

    public static void GruOriginalBackwardOutput(ReadOnlySpan<float> act, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dh,
        Span<float> dPre, Span<float> dHPrev, ReadOnlySpan<bool> active, int h) =>
        CellKernelsReference.GruOriginalBackwardOutput(act, hPrev, dh, dPre, dHPrev, active, h);

    public static void GruOriginalBackwardReset(ReadOnlySpan<float> act, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> dRh,
        Span<float> dPre, Span<float> dHPrev, ReadOnlySpan<bool> active, int h) =>
        CellKernelsReference.GruOriginalBackwardReset(act, hPrev, dRh, dPre, dHPrev, active, h);
}
