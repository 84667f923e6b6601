// The spectrum of a recurrent layer's W_hh, block by block. W_hh is [G·H, H]: one H×H block for the vanilla
// RNN, four for the LSTM (i, f, g, o) and three for the GRU (r, z, n); each block is the recurrent matrix of one
// gate. BPTT through the vanilla RNN multiplies by diag(tanh′)·W_h at every step, so ρ(W_h) < 1 makes
// ∂h_T/∂h_k shrink roughly as ρᵏ and ρ > 1 lets it grow (until tanh saturates).
using Recurrent.Nn;

namespace Recurrent.Experiments;

/// <summary>Spectral radius and largest singular value of a recurrent matrix (the largest over its gate blocks).</summary>
/// <param name="SpectralRadius">max over blocks of ρ = max |λ|.</param>
/// <param name="LargestSingularValue">max over blocks of σ_max = ‖·‖₂.</param>
public readonly record struct SpectrumSummary(double SpectralRadius, double LargestSingularValue);

/// <summary>Measures and rescales the recurrent weights of layer 0 (forward direction).</summary>
public static class RecurrentSpectrum
{
    /// <summary>The largest ρ and σ_max over the gate blocks of <c>weight_hh_l0</c>.</summary>
    public static SpectrumSummary Measure(RecurrentLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        int h = layer.Options.HiddenSize;
        ReadOnlySpan<float> w = layer.WeightHh(0).Value.Span;
        double rho = 0, sigma = 0;
        for (int block = 0; block < layer.Options.GateCount; block++)
        {
            ReadOnlySpan<float> m = w.Slice(block * h * h, h * h);
            rho = Math.Max(rho, MatrixSpectrum.SpectralRadius(m, h));
            sigma = Math.Max(sigma, MatrixSpectrum.LargestSingularValue(m, h, h));
        }
        return new SpectrumSummary(rho, sigma);
    }

    /// <summary>Multiplies each H×H gate block of <c>weight_hh_l0</c> by s/ρ(block), so every block has spectral radius s.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="radius"/> is not positive and finite.</exception>
    public static void ScaleTo(RecurrentLayer layer, double radius)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!(radius > 0 && double.IsFinite(radius)))
            throw new ArgumentOutOfRangeException(nameof(radius), radius, "The spectral radius to scale to must be positive and finite.");
        int h = layer.Options.HiddenSize;
        Span<float> w = layer.WeightHh(0).Value.Span;
        for (int block = 0; block < layer.Options.GateCount; block++)
        {
            Span<float> m = w.Slice(block * h * h, h * h);
            double rho = MatrixSpectrum.SpectralRadius(m, h);
            if (rho == 0) continue; // nilpotent (e.g. H = 1 with a zero weight): nothing to scale
            float factor = (float)(radius / rho);
            for (int i = 0; i < m.Length; i++) m[i] *= factor;
        }
    }

    /// <summary>LSTM only: sets the forget-gate bias to <paramref name="value"/> (in b_ih; b_hh's f block to 0).</summary>
    /// <exception cref="ArgumentException">The layer is not an LSTM.</exception>
    public static void SetForgetBias(RecurrentLayer layer, float value)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Options.Cell != CellKind.Lstm)
            throw new ArgumentException($"SetForgetBias: only an LSTM has a forget gate; this layer is {layer.Options.Cell}.", nameof(layer));
        int h = layer.Options.HiddenSize;
        layer.BiasIh(0).Value.Span.Slice(h, h).Fill(value);
        layer.BiasHh(0).Value.Span.Slice(h, h).Clear();
    }
}
