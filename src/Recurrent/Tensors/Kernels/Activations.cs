// Elementwise activations and their backward passes. Forward goes through FastActivations (sigmoid, tanh)
// and TensorPrimitives (relu); the backward
// passes are expressed in the saved output y, as the layers keep it:
//   sigmoid: dx = dy·y·(1−y);  tanh: dx = dy·(1−y²);  relu: dx = dy·[y > 0].
// Backward accumulates into dx (+=). Each fast path keeps a scalar reference sibling for tests.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Recurrent.Tensors;

/// <summary>Activation kernels over spans.</summary>
public static class Activations
{
    /// <summary>y = σ(x). In-place allowed.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => FastActivations.Sigmoid(x, y);

    /// <summary>y = tanh(x). In-place allowed.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => FastActivations.Tanh(x, y);

    /// <summary>y = max(x, 0). In-place allowed.</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>dx += dy·y·(1−y), with y = σ(x).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckLengths(y, dy, dx);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; i + 8 <= y.Length; i += 8)
            {
                var yv = Vector256.Create(y.Slice(i, 8));
                var r = Vector256.Create(dx.Slice(i, 8)) + Vector256.Create(dy.Slice(i, 8)) * yv * (one - yv);
                r.CopyTo(dx.Slice(i, 8));
            }
        }
        for (; i < y.Length; i++) dx[i] += dy[i] * y[i] * (1f - y[i]);
    }

    /// <summary>dx += dy·(1−y²), with y = tanh(x).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckLengths(y, dy, dx);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256<float>.One;
            for (; i + 8 <= y.Length; i += 8)
            {
                var yv = Vector256.Create(y.Slice(i, 8));
                var r = Vector256.Create(dx.Slice(i, 8)) + Vector256.Create(dy.Slice(i, 8)) * (one - yv * yv);
                r.CopyTo(dx.Slice(i, 8));
            }
        }
        for (; i < y.Length; i++) dx[i] += dy[i] * (1f - y[i] * y[i]);
    }

    /// <summary>dx += dy·[y &gt; 0], with y = relu(x).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        CheckLengths(y, dy, dx);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= y.Length; i += 8)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(y.Slice(i, 8)), Vector256<float>.Zero);
                var r = Vector256.Create(dx.Slice(i, 8)) + (Vector256.Create(dy.Slice(i, 8)) & mask);
                r.CopyTo(dx.Slice(i, 8));
            }
        }
        for (; i < y.Length; i++) dx[i] += y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>Scalar references: the specs of the kernels above.</summary>
    public static class Reference
    {
        public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = (float)(1.0 / (1.0 + Math.Exp(-x[i]))); }
        public static void Tanh(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = (float)Math.Tanh(x[i]); }
        public static void Relu(ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : 0f; }
        public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) { for (int i = 0; i < y.Length; i++) dx[i] += dy[i] * y[i] * (1f - y[i]); }
        public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) { for (int i = 0; i < y.Length; i++) dx[i] += dy[i] * (1f - y[i] * y[i]); }
        public static void ReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) { for (int i = 0; i < y.Length; i++) dx[i] += y[i] > 0f ? dy[i] : 0f; }
    }

    private static void CheckLengths(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (dy.Length != y.Length || dx.Length != y.Length)
            throw new ArgumentException($"Activations: y, dy and dx must have the same length; got {y.Length}, {dy.Length}, {dx.Length}.");
    }
}
