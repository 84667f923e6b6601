// Gradient clipping as torch.nn.utils.clip_grad_norm_ and clip_grad_value_. The global norm is summed
// in double, parameter by parameter in a fixed lane order (SumOfSquaresInDouble), so it does not depend on
// the machine or thread count.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Recurrent.Autograd;

namespace Recurrent.Optim;

/// <summary>Limits the size of gradients before an optimizer step.</summary>
public static class GradientClipping
{
    /// <summary>The margin added to the norm in the scale factor, as in PyTorch.</summary>
    public const float NormEpsilon = 1e-6f;

    /// <summary>Scales all gradients together so that their global L2 norm is at most <paramref name="maxNorm"/>.</summary>
    /// <param name="parameters">The parameters; those whose gradient is null are skipped.</param>
    /// <param name="maxNorm">The largest allowed global norm (≥ 0).</param>
    /// <returns>
    /// The global norm before clipping. When it is NaN or infinite the gradients are left untouched, so the
    /// caller can report it and stop.
    /// </returns>
    /// <remarks>
    /// <code>
    /// n = √(Σₚ Σᵢ gₚᵢ²)                       (in double)
    /// if n > maxNorm:  g ← g · maxNorm / (n + 1e-6)
    /// </code>
    /// PyTorch multiplies by min(1, maxNorm / (n + 1e-6)) always; skipping the multiplication when n ≤ maxNorm
    /// leaves gradients under the limit bit for bit unchanged.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or not finite.</exception>
    public static float ClipByGlobalNorm(IEnumerable<Parameter> parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        OptionChecks.NonNegative(maxNorm, nameof(GradientClipping), nameof(maxNorm));
        IReadOnlyList<Parameter> list = parameters as IReadOnlyList<Parameter> ?? [.. parameters];

        double sumOfSquares = 0;
        foreach (Parameter p in list)
        {
            if (p.Grad is null) continue;
            sumOfSquares += SumOfSquaresInDouble(p.Grad.Span);
        }
        double norm = Math.Sqrt(sumOfSquares);
        if (!double.IsFinite(norm) || norm <= maxNorm) return (float)norm;

        float scale = (float)(maxNorm / (norm + NormEpsilon));
        foreach (Parameter p in list)
        {
            if (p.Grad is null) continue;
            TensorPrimitives.Multiply(p.Grad.Span, scale, p.Grad.Span);
        }
        return (float)norm;
    }

    /// <summary>
    /// Σ gᵢ² in double: sixteen lanes (element i in lane i mod 16) with fused multiply-adds, then the lanes and
    /// the tail in order. Vector512 keeps that order on every processor (it is emulated where not native), so
    /// the result is the same everywhere; it runs at memory speed instead of one element per cycle.
    /// </summary>
    internal static double SumOfSquaresInDouble(ReadOnlySpan<float> g)
    {
        Vector512<double> lo = Vector512<double>.Zero, hi = Vector512<double>.Zero;
        ref float start = ref MemoryMarshal.GetReference(g);
        int i = 0;
        for (; i + 16 <= g.Length; i += 16)
        {
            Vector512<float> v = Vector512.LoadUnsafe(ref start, (nuint)i);
            Vector512<double> a = Vector512.WidenLower(v), b = Vector512.WidenUpper(v);
            lo = Vector512.FusedMultiplyAdd(a, a, lo);
            hi = Vector512.FusedMultiplyAdd(b, b, hi);
        }
        double sum = 0;
        for (int k = 0; k < 8; k++) sum += lo.GetElement(k);
        for (int k = 0; k < 8; k++) sum += hi.GetElement(k);
        for (; i < g.Length; i++) sum = Math.FusedMultiplyAdd(g[i], g[i], sum);
        return sum;
    }

    /// <summary>Clamps every gradient element into [−<paramref name="clipValue"/>, <paramref name="clipValue"/>].</summary>
    /// <param name="parameters">The parameters; those whose gradient is null are skipped.</param>
    /// <param name="clipValue">The largest allowed magnitude (≥ 0).</param>
    /// <remarks><c>g ← min(max(g, −c), c)</c>; NaN stays NaN.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipValue"/> is negative or not finite.</exception>
    public static void ClipByValue(IEnumerable<Parameter> parameters, float clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        OptionChecks.NonNegative(clipValue, nameof(GradientClipping), nameof(clipValue));
        foreach (Parameter p in parameters)
        {
            if (p.Grad is null) continue;
            Span<float> g = p.Grad.Span;
            TensorPrimitives.Max(g, -clipValue, g);
            TensorPrimitives.Min(g, clipValue, g);
        }
    }
}
