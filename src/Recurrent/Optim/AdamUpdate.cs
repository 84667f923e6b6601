// The Adam moment update and parameter step shared by Adam and AdamW, in the operation order of
// torch.optim's single-tensor Adam. Scalars (bias corrections, step size) are computed in double and
// rounded to float once; element math is float32.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Recurrent.Optim;

internal static class AdamUpdate
{
    /// <summary>One Adam step for one parameter; <paramref name="scratch"/> must not alias any other span.</summary>
    /// <param name="g">The gradient (already weight-decayed for Adam's L2 penalty).</param>
    /// <param name="expAvg">First moment m, updated in place.</param>
    /// <param name="expAvgSq">Second moment v, updated in place.</param>
    /// <param name="maxExpAvgSq">Running maximum of v (AMSGrad), updated in place; empty when AMSGrad is off.</param>
    /// <param name="theta">The parameter, updated in place.</param>
    /// <param name="scratch">Temporary space of the parameter's length (AMSGrad only; may be empty otherwise).</param>
    /// <param name="step">The parameter's step count t, starting at 1.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="amsgrad">Use <paramref name="maxExpAvgSq"/> in the denominator.</param>
    public static void Apply(ReadOnlySpan<float> g, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq,
        Span<float> theta, Span<float> scratch, int step, float learningRate, float beta1, float beta2, float epsilon, bool amsgrad)
    {
        if (!amsgrad)
        {
            Fused(g, expAvg, expAvgSq, theta, step, learningRate, beta1, beta2, epsilon);
            return;
        }
        // m ← m + (1 − β₁)·(g − m)   (lerp toward g)
        TensorPrimitives.Subtract(g, expAvg, scratch);
        TensorPrimitives.MultiplyAdd(scratch, 1 - beta1, expAvg, expAvg);
        // v ← β₂·v + (1 − β₂)·g·g
        TensorPrimitives.Multiply(expAvgSq, beta2, expAvgSq);
        TensorPrimitives.Multiply(g, 1 - beta2, scratch);
        TensorPrimitives.MultiplyAdd(scratch, g, expAvgSq, expAvgSq);

        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        float stepSize = (float)(learningRate / biasCorrection1);
        float biasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2);

        ReadOnlySpan<float> second = expAvgSq;
        if (amsgrad)
        {
            TensorPrimitives.Max(maxExpAvgSq, expAvgSq, maxExpAvgSq);
            second = maxExpAvgSq;
        }
        // denominator = √v / √(1 − β₂ᵗ) + ε
        TensorPrimitives.Sqrt(second, scratch);
        TensorPrimitives.Divide(scratch, biasCorrection2Sqrt, scratch);
        TensorPrimitives.Add(scratch, epsilon, scratch);
        // θ ← θ − lr/(1 − β₁ᵗ) · m / denominator
        TensorPrimitives.Divide(expAvg, scratch, scratch);
        TensorPrimitives.MultiplyAdd(scratch, -stepSize, theta, theta);
    }
    /// <summary>
    /// The same step in one pass over memory (without AMSGrad): per element the same float operations in the
    /// same order as the pass-per-operation form above (the JIT does not fuse a multiply and an add), so the
    /// results are bit for bit equal; it reads g, m, v, θ once and writes m, v, θ once instead of streaming
    /// a scratch buffer through ten passes.
    /// </summary>
    private static void Fused(ReadOnlySpan<float> g, Span<float> expAvg, Span<float> expAvgSq, Span<float> theta,
        int step, float learningRate, float beta1, float beta2, float epsilon)
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        float stepSize = (float)(learningRate / biasCorrection1);
        float bc2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2, negStep = -stepSize;
        int n = theta.Length;
        if (g.Length != n || expAvg.Length != n || expAvgSq.Length != n)
            throw new ArgumentException("Adam: gradient, moments and parameter must have the same length.");
        ref float gr = ref MemoryMarshal.GetReference(g), mr = ref MemoryMarshal.GetReference(expAvg);
        ref float vr = ref MemoryMarshal.GetReference(expAvgSq), tr = ref MemoryMarshal.GetReference(theta);
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                nuint k = (nuint)i;
                Vector512<float> gv = Vector512.LoadUnsafe(ref gr, k), m = Vector512.LoadUnsafe(ref mr, k);
                Vector512<float> v = Vector512.LoadUnsafe(ref vr, k), t = Vector512.LoadUnsafe(ref tr, k);
                m = (gv - m) * oneMinusBeta1 + m;
                v = v * beta2;
                v = gv * oneMinusBeta2 * gv + v;
                Vector512<float> den = Vector512.Sqrt(v) / bc2Sqrt + Vector512.Create(epsilon);
                t = m / den * negStep + t;
                m.StoreUnsafe(ref mr, k);
                v.StoreUnsafe(ref vr, k);
                t.StoreUnsafe(ref tr, k);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float m = (gi - expAvg[i]) * oneMinusBeta1 + expAvg[i];
            float v = expAvgSq[i] * beta2;
            v = gi * oneMinusBeta2 * gi + v;
            float den = MathF.Sqrt(v) / bc2Sqrt + epsilon;
            theta[i] = m / den * negStep + theta[i];
            expAvg[i] = m;
            expAvgSq[i] = v;
        }
    }
}
