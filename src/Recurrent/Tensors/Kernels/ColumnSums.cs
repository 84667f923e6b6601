// dst[j] += Σ_r src[r·stride + j]: the bias gradient of a layer is the column sum of its output (or gate) gradients over
// every row of a batch (megabytes for a large layer). AddProductsTo sums a[r, j]·b[r, j] instead: the gradient of a
// normalisation's gain. Columns are cut into chunks, one parallel work item each;
// every column is still summed row by row in order, so the bits do not depend on the thread count.
using System.Numerics.Tensors;

namespace Recurrent.Tensors;

internal static unsafe class ColumnSums
{
    private const int Chunk = 256;
    private const long ParallelElements = 1L << 16;
    [ThreadStatic] private static Job? _job;

    /// <summary>dst[j] += Σ_{r &lt; rows} src[r·stride + j] for j &lt; width, rows summed in order.</summary>
    public static void AddTo(ReadOnlySpan<float> src, int rows, int width, int stride, Span<float> dst)
    {
        if (rows <= 0 || width <= 0) return;
        if (stride < width || src.Length < (long)(rows - 1) * stride + width || dst.Length < width)
            throw new ArgumentException($"ColumnSums: {rows}×{width} with stride {stride} does not fit spans of {src.Length} and {dst.Length}.");
        fixed (float* s = src)
        fixed (float* d = dst)
            Run(s, null, rows, width, stride, d);
    }

    /// <summary>dst[j] += Σ_{r &lt; rows} a[r·width + j]·b[r·width + j] for j &lt; width, rows summed in order.</summary>
    public static void AddProductsTo(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rows, int width, Span<float> dst)
    {
        if (rows <= 0 || width <= 0) return;
        long need = (long)rows * width;
        if (a.Length < need || b.Length < need || dst.Length < width)
            throw new ArgumentException($"ColumnSums: {rows}×{width} products do not fit spans of {a.Length}, {b.Length} and {dst.Length}.");
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* d = dst)
            Run(pa, pb, rows, width, width, d);
    }

    private static void Run(float* a, float* b, int rows, int width, int stride, float* dst)
    {
        if ((long)rows * width < ParallelElements)
        {
            Sum(a, b, rows, 0, width, stride, dst);
            return;
        }
        Job job = _job ??= new Job();
        job.Set(a, b, rows, width, stride, dst);
        Parallelism.For(job, (width + Chunk - 1) / Chunk);
        job.Set(null, null, 0, 0, 0, null);
    }

    private static void Sum(float* a, float* b, int rows, int j0, int count, int stride, float* dst)
    {
        var into = new Span<float>(dst + j0, count);
        for (int r = 0; r < rows; r++)
        {
            var ar = new ReadOnlySpan<float>(a + (long)r * stride + j0, count);
            if (b is null) TensorPrimitives.Add(into, ar, into);
            else TensorPrimitives.MultiplyAdd(ar, new ReadOnlySpan<float>(b + (long)r * stride + j0, count), into, into);
        }
    }

    private sealed class Job : IParallelJob
    {
        private float* _a, _b, _dst;
        private int _rows, _width, _stride;

        public void Set(float* a, float* b, int rows, int width, int stride, float* dst)
        {
            _a = a;
            _b = b;
            _dst = dst;
            (_rows, _width, _stride) = (rows, width, stride);
        }

        public void Execute(int index)
        {
            int j0 = index * Chunk;
            Sum(_a, _b, _rows, j0, Math.Min(Chunk, _width - j0), _stride, _dst);
        }
    }
}
