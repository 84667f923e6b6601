// The Adam moment update and parameter step shared by Adam and AdamW, in the operation order of
// torch.optim's single-tensor Adam. Scalars (bias corrections, step size) are computed in double and
// rounded to float once; element math is float32.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using Recurrent.Tensors;

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
    /// <param name="shrink">AdamW's decoupled decay: θ is first multiplied by it (1 − lr·λ); 1 for none.</param>
    public static void Apply(ReadOnlySpan<float> g, Span<float> expAvg, Span<float> expAvgSq, Span<float> maxExpAvgSq,
        Span<float> theta, Span<float> scratch, int step, float learningRate, float beta1, float beta2, float epsilon, bool amsgrad,
        float shrink = 1f)
    {
        if (!amsgrad)
        {
            Fused(g, expAvg, expAvgSq, theta, step, learningRate, beta1, beta2, epsilon, shrink);
            return;
        }
        if (shrink != 1f) TensorPrimitives.Multiply(theta, shrink, theta);
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
    /// a scratch buffer through ten passes. AdamW's decoupled decay θ ← θ·(1 − lr·λ) comes first in the same
    /// pass (<paramref name="shrink"/>). Large parameters are cut into chunks run on every core.
    /// </summary>
    private static unsafe void Fused(ReadOnlySpan<float> g, Span<float> expAvg, Span<float> expAvgSq, Span<float> theta,
        int step, float learningRate, float beta1, float beta2, float epsilon, float shrink)
    {
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        int n = theta.Length;
        if (g.Length != n || expAvg.Length != n || expAvgSq.Length != n)
            throw new ArgumentException("Adam: gradient, moments and parameter must have the same length.");
        var scalars = new Scalars(1 - beta1, beta2, 1 - beta2, (float)Math.Sqrt(biasCorrection2), epsilon, -(float)(learningRate / biasCorrection1), shrink);
        fixed (float* pg = g, pm = expAvg, pv = expAvgSq, pt = theta)
        {
            if (n < ParallelElements)
            {
                FusedRange(pg, pm, pv, pt, n, scalars);
                return;
            }
            FusedJob job = _job ??= new FusedJob();
            job.Set(pg, pm, pv, pt, n, scalars);
            Parallelism.For(job, (n + Chunk - 1) / Chunk);
            job.Set(null, null, null, null, 0, scalars);
        }
    }

    private const int Chunk = 1 << 14;               // a multiple of 16: every chunk but the last runs whole vectors
    private const int ParallelElements = 1 << 16;
    [ThreadStatic] private static FusedJob? _job;

    private readonly record struct Scalars(float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Bc2Sqrt, float Epsilon, float NegStep, float Shrink);

    private static unsafe void FusedRange(float* g, float* expAvg, float* expAvgSq, float* theta, int n, Scalars s)
    {
        float oneMinusBeta1 = s.OneMinusBeta1, beta2 = s.Beta2, oneMinusBeta2 = s.OneMinusBeta2, bc2Sqrt = s.Bc2Sqrt;
        float epsilon = s.Epsilon, negStep = s.NegStep, shrink = s.Shrink;
        bool decay = shrink != 1f;
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> gv = Vector512.Load(g + i), m = Vector512.Load(expAvg + i);
                Vector512<float> v = Vector512.Load(expAvgSq + i), t = Vector512.Load(theta + i);
                if (decay) t *= shrink;
                m = (gv - m) * oneMinusBeta1 + m;
                v = v * beta2;
                v = gv * oneMinusBeta2 * gv + v;
                Vector512<float> den = Vector512.Sqrt(v) / bc2Sqrt + Vector512.Create(epsilon);
                t = m / den * negStep + t;
                m.Store(expAvg + i);
                v.Store(expAvgSq + i);
                t.Store(theta + i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float ti = decay ? theta[i] * shrink : theta[i];
            float m = (gi - expAvg[i]) * oneMinusBeta1 + expAvg[i];
            float v = expAvgSq[i] * beta2;
            v = gi * oneMinusBeta2 * gi + v;
            float den = MathF.Sqrt(v) / bc2Sqrt + epsilon;
            theta[i] = m / den * negStep + ti;
            expAvg[i] = m;
            expAvgSq[i] = v;
        }
    }

    private sealed unsafe class FusedJob : IParallelJob
    {
        private float* _g, _m, _v, _t;
        private int _n;
        private Scalars _s;

        public void Set(float* g, float* m, float* v, float* t, int n, Scalars s)
        {
            _g = g;
            _m = m;
            _v = v;
            _t = t;
            (_n, _s) = (n, s);
        }

        public void Execute(int index)
        {
            int i0 = index * Chunk, count = Math.Min(Chunk, _n - i0);
            FusedRange(_g + i0, _m + i0, _v + i0, _t + i0, count, _s);
        }
    }
}
