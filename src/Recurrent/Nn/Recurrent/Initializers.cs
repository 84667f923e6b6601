// Weight initialisers beyond PyTorch's default uniform draw.
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>Weight initialisers.</summary>
public static class Initializers
{
    /// <summary>
    /// Fills the n×n row-major matrix with a random orthogonal matrix: Gram–Schmidt (in double) on
    /// Gaussian rows, as <c>torch.nn.init.orthogonal_</c> does through QR.
    /// </summary>
    public static void Orthogonal(Span<float> matrix, int n, Rng rng)
    {
        if (matrix.Length != n * n) throw new ArgumentException($"Orthogonal: expected {n}×{n} = {n * n} elements; got {matrix.Length}.", nameof(matrix));
        var q = new double[n * n];
        for (int i = 0; i < q.Length; i++) q[i] = rng.NextGaussian();
        for (int i = 0; i < n; i++)
        {
            var row = q.AsSpan(i * n, n);
            for (int pass = 0; pass < 2; pass++)
                for (int j = 0; j < i; j++)
                {
                    var prev = q.AsSpan(j * n, n);
                    double dot = 0;
                    for (int k = 0; k < n; k++) dot += row[k] * prev[k];
                    for (int k = 0; k < n; k++) row[k] -= dot * prev[k];
                }
            double norm = 0;
            foreach (double v in row) norm += v * v;
            norm = Math.Sqrt(norm);
            for (int k = 0; k < n; k++)
            {
                row[k] /= norm;
                matrix[i * n + k] = (float)row[k];
            }
        }
    }
}
