// Row-wise softmax and log-softmax over a [rows, cols] matrix, numerically stable (max subtracted).
// softmax(x)_j = exp(x_j − m) / Σ_k exp(x_k − m); log_softmax(x)_j = x_j − m − log Σ_k exp(x_k − m).
// In-place (src and dst the same span) is allowed.
using System.Numerics.Tensors;

namespace Recurrent.Tensors;

/// <summary>Row-wise softmax kernels.</summary>
public static class Softmax
{
    /// <summary>dst[r, :] = softmax(src[r, :]) for each of <paramref name="rows"/> rows of <paramref name="cols"/> columns.</summary>
    public static void Rows(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        Check(src, dst, rows, cols);
        if (cols == 0) return;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = src.Slice(r * cols, cols);
            Span<float> y = dst.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Exp(y, y);
            float sum = TensorPrimitives.Sum(y);
            TensorPrimitives.Divide(y, sum, y);
        }
    }

    /// <summary>dst[r, :] = log_softmax(src[r, :]).</summary>
    public static void LogRows(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        Check(src, dst, rows, cols);
        if (cols == 0) return;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = src.Slice(r * cols, cols);
            Span<float> y = dst.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(x);
            TensorPrimitives.Subtract(x, max, y);
            float logSum = MathF.Log(SumExp(y));
            TensorPrimitives.Subtract(y, logSum, y);
        }
    }

    /// <summary>Scalar reference of <see cref="Rows"/> in double precision; the spec the fast path is tested against.</summary>
    public static void RowsReference(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = src.Slice(r * cols, cols);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float v in x) max = Math.Max(max, v);
            foreach (float v in x) sum += Math.Exp(v - max);
            for (int j = 0; j < cols; j++) dst[r * cols + j] = (float)(Math.Exp(x[j] - max) / sum);
        }
    }

    /// <summary>Scalar reference of <see cref="LogRows"/> in double precision.</summary>
    public static void LogRowsReference(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = src.Slice(r * cols, cols);
            double max = double.NegativeInfinity, sum = 0;
            foreach (float v in x) max = Math.Max(max, v);
            foreach (float v in x) sum += Math.Exp(v - max);
            double logSum = Math.Log(sum);
            for (int j = 0; j < cols; j++) dst[r * cols + j] = (float)(x[j] - max - logSum);
        }
    }

    /// <summary>Σ exp(x) without a scratch buffer, in chunks on the stack.</summary>
    private static float SumExp(ReadOnlySpan<float> x)
    {
        Span<float> chunk = stackalloc float[256];
        float sum = 0f;
        for (int i = 0; i < x.Length; i += chunk.Length)
        {
            int n = Math.Min(chunk.Length, x.Length - i);
            TensorPrimitives.Exp(x.Slice(i, n), chunk[..n]);
            sum += TensorPrimitives.Sum(chunk[..n]);
        }
        return sum;
    }

    private static void Check(ReadOnlySpan<float> src, Span<float> dst, int rows, int cols)
    {
        if (rows < 0 || cols < 0)
            throw new ArgumentException($"Softmax: rows and cols must be ≥ 0; got {rows}×{cols}.");
        long needed = (long)rows * cols;
        if (src.Length < needed || dst.Length < needed)
            throw new ArgumentException($"Softmax: {rows}×{cols} needs {needed} elements; src has {src.Length}, dst has {dst.Length}.");
    }
}
