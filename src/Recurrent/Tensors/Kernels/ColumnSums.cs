// dst[j] += Σ_r src[r·stride + j]: the bias gradient of a layer is the column sum of its output (or gate) gradients over
// every row of a batch (megabytes for a large layer). Columns are cut into chunks, one parallel work item each;
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
        {
            if ((long)rows * width < ParallelElements)
            {
                Sum(s, rows, 0, width, stride, d);
                return;
            }
            Job job = _job ??= new Job();
            job.Set(s, rows, width, stride, d);
            Parallelism.For(job, (width + Chunk - 1) / Chunk);
            job.Set(null, 0, 0, 0, null);
        }
    }

    private static void Sum(float* src, int rows, int j0, int count, int stride, float* dst)
    {
        var into = new Span<float>(dst + j0, count);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(into, new ReadOnlySpan<float>(src + (long)r * stride + j0, count), into);
    }

    private sealed class Job : IParallelJob
    {
        private float* _src, _dst;
        private int _rows, _width, _stride;

        public void Set(float* src, int rows, int width, int stride, float* dst)
        {
            _src = src;
            _dst = dst;
            (_rows, _width, _stride) = (rows, width, stride);
        }

        public void Execute(int index)
        {
            int j0 = index * Chunk;
            Sum(_src, _rows, j0, Math.Min(Chunk, _width - j0), _stride, _dst);
        }
    }
}
