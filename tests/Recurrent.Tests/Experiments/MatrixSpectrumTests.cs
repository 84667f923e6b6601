using System.Numerics;
using Recurrent.Experiments;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Experiments;

public sealed class MatrixSpectrumTests
{
    /// <summary>A random n×n orthogonal matrix (row-major, double).</summary>
    private static double[] Orthogonal(int n, ulong seed)
    {
        var q = new float[n * n];
        Initializers.Orthogonal(q, n, new Rng(seed));
        return q.Select(v => (double)v).ToArray();
    }

    /// <summary>Q·M·Qᵀ in double, returned as float: the same eigenvalues as M.</summary>
    private static float[] Conjugate(double[] m, int n, ulong seed)
    {
        double[] q = Orthogonal(n, seed);
        var qm = new double[n * n];
        var result = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) qm[i * n + j] += q[i * n + k] * m[k * n + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += qm[i * n + k] * q[j * n + k];
                result[i * n + j] = (float)s;
            }
        return result;
    }

    private static void AssertSameMultiset(IEnumerable<Complex> expected, IEnumerable<Complex> actual, double tolerance)
    {
        var left = actual.ToList();
        foreach (Complex e in expected)
        {
            int best = Enumerable.Range(0, left.Count).MinBy(i => Complex.Abs(left[i] - e));
            Assert.True(Complex.Abs(left[best] - e) <= tolerance, $"eigenvalue {e} not found; nearest {left[best]} (all: {string.Join(", ", actual)})");
            left.RemoveAt(best);
        }
        Assert.Empty(left);
    }

    [Fact]
    public void Eigenvalues_OfAConjugatedTriangularMatrix_AreItsDiagonal()
    {
        const int n = 12;
        double[] diagonal = [1.7, -1.3, 0.9, 0.5, -0.5, 0.25, 0.1, -0.05, 2.2, -2.5, 0.75, 1.1];
        var m = new double[n * n];
        var random = new Random(3);
        for (int i = 0; i < n; i++)
        {
            m[i * n + i] = diagonal[i];
            for (int j = i + 1; j < n; j++) m[i * n + j] = random.NextDouble() * 2 - 1; // non-normal
        }
        float[] a = Conjugate(m, n, 5);
        AssertSameMultiset(diagonal.Select(d => new Complex(d, 0)), MatrixSpectrum.Eigenvalues(a, n), 1e-4);
        Assert.Equal(2.5, MatrixSpectrum.SpectralRadius(a, n), 4);
    }

    [Fact]
    public void Eigenvalues_OfRotationBlocks_AreComplexPairs_WhichPowerIterationWouldMiss()
    {
        // Blocks r·[[cos θ, −sin θ], [sin θ, cos θ]] have eigenvalues r·e^{±iθ}: no real dominant eigenvalue.
        (double R, double Theta)[] blocks = [(1.2, 0.3), (0.9, 2.0), (1.2, -1.1), (0.4, 1.0)];
        int n = 2 * blocks.Length + 1;
        var m = new double[n * n];
        var expected = new List<Complex>();
        for (int b = 0; b < blocks.Length; b++)
        {
            var (r, theta) = blocks[b];
            int i = 2 * b;
            (m[i * n + i], m[i * n + i + 1], m[(i + 1) * n + i], m[(i + 1) * n + i + 1]) = (r * Math.Cos(theta), -r * Math.Sin(theta), r * Math.Sin(theta), r * Math.Cos(theta));
            expected.Add(Complex.FromPolarCoordinates(r, theta));
            expected.Add(Complex.FromPolarCoordinates(r, -theta));
        }
        m[(n - 1) * n + n - 1] = -0.7;
        expected.Add(new Complex(-0.7, 0));
        float[] a = Conjugate(m, n, 9);
        AssertSameMultiset(expected, MatrixSpectrum.Eigenvalues(a, n), 1e-4);
        Assert.Equal(1.2, MatrixSpectrum.SpectralRadius(a, n), 4);
    }

    [Fact]
    public void SpectralRadius_OfANonNormalMatrix_IsBelowItsLargestSingularValue()
    {
        // [[0.5, 100], [0, 0.5]]: ρ = 0.5 (the powers decay eventually) but one step can stretch by ~100.
        float[] a = [0.5f, 100f, 0f, 0.5f];
        Assert.Equal(0.5, MatrixSpectrum.SpectralRadius(a, 2), 6);
        // σ_max² is the largest eigenvalue of AᵀA = [[0.25, 50], [50, 10000.25]].
        double t = 0.25 + 10000.25, d = 0.25 * 10000.25 - 2500;
        Assert.Equal(Math.Sqrt(t / 2 + Math.Sqrt(t * t / 4 - d)), MatrixSpectrum.LargestSingularValue(a, 2, 2), 6);
    }

    [Theory]
    [InlineData(8, 8)]
    [InlineData(10, 6)]
    [InlineData(5, 9)]
    public void LargestSingularValue_OfUSigmaVt_IsTheLargestSigma(int rows, int cols)
    {
        int r = Math.Min(rows, cols);
        double[] sigma = Enumerable.Range(0, r).Select(i => 3.0 / (1 + i * 0.4)).ToArray(); // 3, 2.14, …: top gap 1.4×
        double[] u = Orthogonal(rows, 11), v = Orthogonal(cols, 13);
        var a = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double s = 0;
                for (int k = 0; k < r; k++) s += u[i * rows + k] * sigma[k] * v[j * cols + k];
                a[i * cols + j] = (float)s;
            }
        Assert.Equal(3.0, MatrixSpectrum.LargestSingularValue(a, rows, cols), 4);
    }

    [Fact]
    public void Spectrum_RejectsAWrongSize_AndTheZeroMatrixHasRadiusZero()
    {
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.Eigenvalues(new float[5], 2));
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.LargestSingularValue(new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => MatrixSpectrum.SpectralRadius([float.NaN], 1));
        Assert.Equal(0, MatrixSpectrum.SpectralRadius(new float[9], 3));
        Assert.Equal(0, MatrixSpectrum.LargestSingularValue(new float[9], 3, 3));
    }

    [Theory]
    [InlineData(CellKind.RnnTanh, 0.9)]
    [InlineData(CellKind.Lstm, 1.5)]
    [InlineData(CellKind.Gru, 0.5)]
    public void ScaleTo_GivesEveryGateBlockTheRequestedSpectralRadius(CellKind cell, double radius)
    {
        var layer = new RecurrentLayer(new RecurrentOptions(cell, 3, 16), new Rng(2));
        RecurrentSpectrum.ScaleTo(layer, radius);
        int h = 16;
        for (int block = 0; block < layer.Options.GateCount; block++)
            Assert.Equal(radius, MatrixSpectrum.SpectralRadius(layer.WeightHh(0).Value.Span.Slice(block * h * h, h * h), h), 4);
        SpectrumSummary summary = RecurrentSpectrum.Measure(layer);
        Assert.Equal(radius, summary.SpectralRadius, 4);
        Assert.True(summary.LargestSingularValue >= summary.SpectralRadius - 1e-6, $"σ_max {summary.LargestSingularValue} < ρ {summary.SpectralRadius}");
    }
}
