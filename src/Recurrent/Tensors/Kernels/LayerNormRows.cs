// Layer normalisation over the rows of a [rows, n] matrix (Ba, Kiros & Hinton 2016), as torch.nn.LayerNorm over
// the last axis: each row is centred and scaled to unit variance, then given a per-column gain and bias.
//   μ = (1/n)·Σ_j x_j,  σ² = (1/n)·Σ_j (x_j − μ)²  (biased, as PyTorch),  r = 1/√(σ² + ε)
//   x̂_j = (x_j − μ)·r,  y_j = γ_j·x̂_j + β_j
// Backward, with g_j = dy_j·γ_j and means over the row:
//   dx_j += r·(g_j − mean(g) − x̂_j·mean(g ⊙ x̂)),  dγ_j += Σ_rows dy_j·x̂_j,  dβ_j += Σ_rows dy_j
// The mean and r of each row are kept from forward for backward. Sums run in float over TensorPrimitives, as
// PyTorch's CPU kernel does in float; the variance is taken about the mean (two passes), never as E[x²] − μ².
using System.Numerics.Tensors;

namespace Recurrent.Tensors;

/// <summary>Row-wise layer normalisation kernels (see the file header).</summary>
public static class LayerNormRows
{
    /// <summary>PyTorch's default ε.</summary>
    public const float DefaultEpsilon = 1e-5f;

    /// <summary>
    /// y[r, :] = γ ⊙ (x[r, :] − μ_r)·r_r + β for <paramref name="rows"/> rows of <paramref name="n"/> columns; writes
    /// μ_r to <paramref name="mean"/> and r_r to <paramref name="inverseStd"/> [rows]. Empty γ / β: 1 / 0. In place
    /// (x and y the same span) is allowed.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need, γ or β is neither empty nor n long, or ε ≤ 0.</exception>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> gain, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> inverseStd, int rows, int n, float epsilon = DefaultEpsilon)
    {
        Check(x.Length, y.Length, mean.Length, inverseStd.Length, gain.Length, bias.Length, rows, n);
        if (!(epsilon > 0f)) throw new ArgumentException($"LayerNormRows: ε must be > 0; got {epsilon}.", nameof(epsilon));
        for (int r = 0; r < rows; r++)
        {
            Span<float> yr = y.Slice(r * n, n);
            inverseStd[r] = Normalize(x.Slice(r * n, n), yr, epsilon, out mean[r]);
            if (!gain.IsEmpty) TensorPrimitives.Multiply(yr, gain, yr);
            if (!bias.IsEmpty) TensorPrimitives.Add(yr, bias, yr);
        }
    }

    /// <summary>
    /// Accumulates the gradients of <see cref="Forward"/>: dx [rows, n] += …, dγ [n] += …, dβ [n] += … from dy and the
    /// forward's input x, γ, μ and r. An empty dx, dγ or dβ is not wanted; γ empty means 1. <paramref name="work"/> [2n] is scratch.
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the shapes need.</exception>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> gain,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, Span<float> dx, Span<float> dGain, Span<float> dBias,
        Span<float> work, int rows, int n)
    {
        Check(x.Length, dy.Length, mean.Length, inverseStd.Length, gain.Length, 0, rows, n);
        if (!dx.IsEmpty && dx.Length < (long)rows * n) throw new ArgumentException($"LayerNormRows.Backward: dx holds {dx.Length} floats; [{rows}, {n}] needs {(long)rows * n}.", nameof(dx));
        if (!dGain.IsEmpty && dGain.Length != n) throw new ArgumentException($"LayerNormRows.Backward: dγ must hold n = {n} floats; it holds {dGain.Length}.", nameof(dGain));
        if (!dBias.IsEmpty && dBias.Length != n) throw new ArgumentException($"LayerNormRows.Backward: dβ must hold n = {n} floats; it holds {dBias.Length}.", nameof(dBias));
        if (work.Length < 2 * n) throw new ArgumentException($"LayerNormRows.Backward: the scratch must hold 2n = {2 * n} floats; it holds {work.Length}.", nameof(work));
        Span<float> xHat = work[..n], g = work.Slice(n, n);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> dyr = dy.Slice(r * n, n);
            TensorPrimitives.Subtract(x.Slice(r * n, n), mean[r], xHat);
            TensorPrimitives.Multiply(xHat, inverseStd[r], xHat);
            if (!dGain.IsEmpty) TensorPrimitives.MultiplyAdd(dyr, xHat, dGain, dGain);
            if (!dBias.IsEmpty) TensorPrimitives.Add(dBias, dyr, dBias);
            if (dx.IsEmpty) continue;
            BackwardRow(dyr, gain, xHat, inverseStd[r], g, g);
            Span<float> dxr = dx.Slice(r * n, n);
            TensorPrimitives.Add(dxr, g, dxr);
        }
    }

    /// <summary>
    /// Normalises one row in place, x ← (x − μ)·r with the biased variance, and returns r = 1/√(σ² + ε): the step both
    /// <see cref="Forward"/> and the fused cells (the layer-normalised LSTM) take, keeping x̂ rather than x.
    /// </summary>
    public static float NormalizeRow(Span<float> row, float epsilon = DefaultEpsilon) => Normalize(row, row, epsilon, out _);

    /// <summary>y = (x − μ)·r for one row (y may be x); returns r and gives μ.</summary>
    private static float Normalize(ReadOnlySpan<float> x, Span<float> y, float epsilon, out float mean)
    {
        int n = x.Length;
        mean = TensorPrimitives.Sum(x) / n;
        TensorPrimitives.Subtract(x, mean, y);
        float inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(y) / n + epsilon);
        TensorPrimitives.Multiply(y, inv, y);
        return inv;
    }

    /// <summary>
    /// The input gradient of one row from the normalised row x̂ (as <see cref="NormalizeRow"/> left it) and its r:
    /// dx = r·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = dy ⊙ γ (γ empty: 1). dx is written, not added to, and may be
    /// the same span as x̂ or dy. <paramref name="work"/> holds at least n floats.
    /// </summary>
    public static void BackwardRow(ReadOnlySpan<float> dy, ReadOnlySpan<float> gain, ReadOnlySpan<float> xHat, float inverseStd,
        Span<float> dx, Span<float> work)
    {
        int n = xHat.Length;
        Span<float> g = work[..n];
        if (gain.IsEmpty) dy.CopyTo(g);
        else TensorPrimitives.Multiply(dy, gain, g);
        float meanG = TensorPrimitives.Sum(g) / n, meanGx = TensorPrimitives.Dot(g, xHat) / n;
        TensorPrimitives.MultiplyAdd(xHat, -meanGx, g, g);
        TensorPrimitives.Subtract(g, meanG, g);
        TensorPrimitives.Multiply(g, inverseStd, dx);
    }

    private static void Check(int x, int y, int mean, int inverseStd, int gain, int bias, int rows, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        long need = (long)rows * n;
        if (x < need || y < need)
            throw new ArgumentException($"LayerNormRows: [{rows}, {n}] needs {need} floats in and out; got {x} and {y}.");
        if (mean < rows || inverseStd < rows)
            throw new ArgumentException($"LayerNormRows: the row statistics need {rows} floats each; got {mean} and {inverseStd}.");
        if (gain != 0 && gain != n) throw new ArgumentException($"LayerNormRows: γ must be empty or n = {n} long; it is {gain}.");
        if (bias != 0 && bias != n) throw new ArgumentException($"LayerNormRows: β must be empty or n = {n} long; it is {bias}.");
    }
}
