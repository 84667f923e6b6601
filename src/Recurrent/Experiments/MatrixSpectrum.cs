// Eigenvalues of a general (non-symmetric) real square matrix and the largest singular value of a real matrix,
// in double precision. The vanishing/exploding-gradient argument is about the spectral radius ρ(W_h) = max |λ|
// (the growth rate of ‖W_hᵏ‖ for large k, Gelfand's formula) and the largest singular value σ_max(W_h) = ‖W_h‖₂
// (the most one step can stretch a vector; ρ ≤ σ_max, with equality for normal matrices).
//   Eigenvalues: Householder reduction to upper Hessenberg form, then the Francis double-shift QR iteration
//                (EISPACK's hqr, as in Numerical Recipes §11.5–11.6, kept 1-based below so it reads like the
//                reference). Complex pairs come out as a ± bi, so a rotation-like W_h is handled, which plain
//                power iteration is not.
//   σ_max:       power iteration on WᵀW, v ← WᵀW v / ‖WᵀW v‖, until the Rayleigh quotient settles (relative
//                change < 1e-12 over 10 iterations); σ_max = √(vᵀWᵀWv).
using System.Numerics;

namespace Recurrent.Experiments;

/// <summary>Spectral quantities of the recurrent matrix: eigenvalues, spectral radius, largest singular value.</summary>
public static class MatrixSpectrum
{
    /// <summary>ρ(A) = max |λᵢ| of the n×n row-major matrix <paramref name="matrix"/>.</summary>
    /// <exception cref="ArgumentException">The span does not hold n·n elements, or n &lt; 1.</exception>
    /// <exception cref="InvalidOperationException">The QR iteration did not converge (not seen for finite input).</exception>
    public static double SpectralRadius(ReadOnlySpan<float> matrix, int n)
    {
        double radius = 0;
        foreach (Complex lambda in Eigenvalues(matrix, n)) radius = Math.Max(radius, lambda.Magnitude);
        return radius;
    }

    /// <summary>All n eigenvalues (with multiplicity, in no particular order) of the n×n row-major matrix.</summary>
    /// <exception cref="ArgumentException">The span does not hold n·n elements, n &lt; 1, or an element is not finite.</exception>
    /// <exception cref="InvalidOperationException">The QR iteration did not converge.</exception>
    public static Complex[] Eigenvalues(ReadOnlySpan<float> matrix, int n)
    {
        if (n < 1 || matrix.Length != n * n)
            throw new ArgumentException($"MatrixSpectrum: expected an n×n matrix with n ≥ 1 ({n}×{n} = {n * n} elements); got {matrix.Length} elements.", nameof(matrix));
        var a = new double[n + 1, n + 1]; // 1-based, as the reference algorithm
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                float v = matrix[i * n + j];
                if (!float.IsFinite(v)) throw new ArgumentException($"MatrixSpectrum: element ({i}, {j}) is {v}; the matrix must be finite.", nameof(matrix));
                a[i + 1, j + 1] = v;
            }
        ReduceToHessenberg(a, n);
        return HessenbergQr(a, n);
    }

    /// <summary>σ_max(A) = ‖A‖₂ of the rows×cols row-major matrix, by power iteration on AᵀA.</summary>
    /// <exception cref="ArgumentException">The span does not hold rows·cols elements.</exception>
    public static double LargestSingularValue(ReadOnlySpan<float> matrix, int rows, int cols)
    {
        if (rows < 1 || cols < 1 || matrix.Length != rows * cols)
            throw new ArgumentException($"MatrixSpectrum: expected a {rows}×{cols} matrix ({rows * cols} elements); got {matrix.Length}.", nameof(matrix));
        double[] a = new double[matrix.Length];
        for (int i = 0; i < a.Length; i++) a[i] = matrix[i];
        // A deterministic start with a component along every direction (a constant vector can be orthogonal to the top one).
        var v = new double[cols];
        for (int j = 0; j < cols; j++) v[j] = 1.0 + 0.37 * Math.Sin(1.0 + j * 2.3);
        Normalize(v);
        var av = new double[rows];
        var w = new double[cols];
        double previous = -1, current = 0;
        for (int iteration = 0; iteration < 100_000; iteration++)
        {
            // av = A v;  w = Aᵀ av;  Rayleigh quotient vᵀAᵀAv = ‖Av‖²
            current = 0;
            for (int i = 0; i < rows; i++)
            {
                double s = 0;
                for (int j = 0; j < cols; j++) s += a[i * cols + j] * v[j];
                av[i] = s;
                current += s * s;
            }
            Array.Clear(w);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++) w[j] += a[i * cols + j] * av[i];
            if (Normalize(w) == 0) return 0; // A v = 0 from a generic start: A = 0
            (v, w) = (w, v);
            if (iteration % 10 == 9)
            {
                if (Math.Abs(current - previous) <= 1e-12 * current) break;
                previous = current;
            }
        }
        return Math.Sqrt(current);
    }

    private static double Normalize(double[] v)
    {
        double norm = 0;
        foreach (double x in v) norm += x * x;
        norm = Math.Sqrt(norm);
        if (norm > 0) for (int i = 0; i < v.Length; i++) v[i] /= norm;
        return norm;
    }

    /// <summary>A ← QᵀAQ, upper Hessenberg, by Householder reflections (the eigenvalues are unchanged).</summary>
    private static void ReduceToHessenberg(double[,] a, int n)
    {
        var v = new double[n + 1];
        for (int k = 1; k <= n - 2; k++)
        {
            double norm = 0;
            for (int i = k + 1; i <= n; i++) norm += a[i, k] * a[i, k];
            norm = Math.Sqrt(norm);
            if (norm == 0) continue;
            double alpha = a[k + 1, k] > 0 ? -norm : norm;
            double vNorm = 0;
            for (int i = k + 1; i <= n; i++)
            {
                v[i] = a[i, k] - (i == k + 1 ? alpha : 0);
                vNorm += v[i] * v[i];
            }
            if (vNorm == 0) continue;
            // P = I − 2vvᵀ/‖v‖²: A ← P A (rows k+1…n), then A ← A P (columns k+1…n).
            for (int j = k; j <= n; j++)
            {
                double s = 0;
                for (int i = k + 1; i <= n; i++) s += v[i] * a[i, j];
                s *= 2 / vNorm;
                for (int i = k + 1; i <= n; i++) a[i, j] -= s * v[i];
            }
            for (int i = 1; i <= n; i++)
            {
                double s = 0;
                for (int j = k + 1; j <= n; j++) s += a[i, j] * v[j];
                s *= 2 / vNorm;
                for (int j = k + 1; j <= n; j++) a[i, j] -= s * v[j];
            }
            for (int i = k + 2; i <= n; i++) a[i, k] = 0;
        }
    }

    /// <summary>Eigenvalues of an upper Hessenberg matrix (1-based, destroyed) by the Francis double-shift QR iteration.</summary>
    private static Complex[] HessenbergQr(double[,] a, int n)
    {
        var wr = new double[n + 1];
        var wi = new double[n + 1];
        double anorm = 0;
        for (int i = 1; i <= n; i++)
            for (int j = Math.Max(i - 1, 1); j <= n; j++) anorm += Math.Abs(a[i, j]);
        int nn = n, l;
        double t = 0, p = 0, q = 0, r = 0, s, w, x, y, z;
        while (nn >= 1)
        {
            int its = 0;
            do
            {
                // Look for a single small subdiagonal element to split the matrix.
                for (l = nn; l >= 2; l--)
                {
                    s = Math.Abs(a[l - 1, l - 1]) + Math.Abs(a[l, l]);
                    if (s == 0) s = anorm;
                    if (Math.Abs(a[l, l - 1]) + s == s)
                    {
                        a[l, l - 1] = 0;
                        break;
                    }
                }
                x = a[nn, nn];
                if (l == nn)
                {
                    wr[nn] = x + t; // one root found
                    wi[nn--] = 0;
                }
                else
                {
                    y = a[nn - 1, nn - 1];
                    w = a[nn, nn - 1] * a[nn - 1, nn];
                    if (l == nn - 1)
                    {
                        // Two roots found: the eigenvalues of the trailing 2×2 block.
                        p = 0.5 * (y - x);
                        q = p * p + w;
                        z = Math.Sqrt(Math.Abs(q));
                        x += t;
                        if (q >= 0)
                        {
                            z = p + (p >= 0 ? Math.Abs(z) : -Math.Abs(z));
                            wr[nn - 1] = wr[nn] = x + z;
                            if (z != 0) wr[nn] = x - w / z;
                            wi[nn - 1] = wi[nn] = 0;
                        }
                        else
                        {
                            wr[nn - 1] = wr[nn] = x + p;
                            wi[nn - 1] = -(wi[nn] = z);
                        }
                        nn -= 2;
                    }
                    else
                    {
                        if (its == 60) throw new InvalidOperationException($"MatrixSpectrum: the QR iteration did not converge after 60 iterations on a {n}×{n} matrix.");
                        if (its == 10 || its == 20 || its == 40)
                        {
                            // Exceptional shift, to break a cycle.
                            t += x;
                            for (int i = 1; i <= nn; i++) a[i, i] -= x;
                            s = Math.Abs(a[nn, nn - 1]) + Math.Abs(a[nn - 1, nn - 2]);
                            y = x = 0.75 * s;
                            w = -0.4375 * s * s;
                        }
                        ++its;
                        int m = FindTwoSmallSubdiagonals(a, l, nn, x, y, w, ref p, ref q, ref r);
                        for (int i = m + 2; i <= nn; i++)
                        {
                            a[i, i - 2] = 0;
                            if (i != m + 2) a[i, i - 3] = 0;
                        }
                        DoubleShiftSweep(a, l, m, nn, ref p, ref q, ref r);
                    }
                }
            } while (l < nn - 1);
        }
        var result = new Complex[n];
        for (int i = 1; i <= n; i++) result[i - 1] = new Complex(wr[i], wi[i]);
        return result;
    }

    /// <summary>Forms the shift and looks for two consecutive small subdiagonal elements (the start m of the sweep).</summary>
    private static int FindTwoSmallSubdiagonals(double[,] a, int l, int nn, double x, double y, double w, ref double p, ref double q, ref double r)
    {
        int m;
        for (m = nn - 2; m >= l; m--)
        {
            double z = a[m, m];
            r = x - z;
            double s = y - z;
            p = (r * s - w) / a[m + 1, m] + a[m, m + 1];
            q = a[m + 1, m + 1] - z - r - s;
            r = a[m + 2, m + 1];
            s = Math.Abs(p) + Math.Abs(q) + Math.Abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m == l) break;
            double u = Math.Abs(a[m, m - 1]) * (Math.Abs(q) + Math.Abs(r));
            double v = Math.Abs(p) * (Math.Abs(a[m - 1, m - 1]) + Math.Abs(z) + Math.Abs(a[m + 1, m + 1]));
            if (u + v == v) break;
        }
        return m;
    }

    /// <summary>One implicit double-shift QR sweep over rows and columns m…nn (Householder 3-vectors).</summary>
    private static void DoubleShiftSweep(double[,] a, int l, int m, int nn, ref double p, ref double q, ref double r)
    {
        double x = 0;
        for (int k = m; k <= nn - 1; k++)
        {
            if (k != m)
            {
                p = a[k, k - 1];
                q = a[k + 1, k - 1];
                r = k != nn - 1 ? a[k + 2, k - 1] : 0;
                if ((x = Math.Abs(p) + Math.Abs(q) + Math.Abs(r)) != 0)
                {
                    p /= x;
                    q /= x;
                    r /= x;
                }
            }
            double s = Math.Sqrt(p * p + q * q + r * r);
            if (p < 0) s = -s;
            if (s == 0) continue;
            if (k == m)
            {
                if (l != m) a[k, k - 1] = -a[k, k - 1];
            }
            else a[k, k - 1] = -s * x;
            p += s;
            x = p / s;
            double y = q / s, z = r / s;
            q /= p;
            r /= p;
            for (int j = k; j <= nn; j++)
            {
                p = a[k, j] + q * a[k + 1, j];
                if (k != nn - 1)
                {
                    p += r * a[k + 2, j];
                    a[k + 2, j] -= p * z;
                }
                a[k + 1, j] -= p * y;
                a[k, j] -= p * x;
            }
            int mmin = nn < k + 3 ? nn : k + 3;
            for (int i = l; i <= mmin; i++)
            {
                p = x * a[i, k] + y * a[i, k + 1];
                if (k != nn - 1)
                {
                    p += z * a[i, k + 2];
                    a[i, k + 2] -= p * r;
                }
                a[i, k + 1] -= p * q;
                a[i, k] -= p;
            }
        }
    }
}
