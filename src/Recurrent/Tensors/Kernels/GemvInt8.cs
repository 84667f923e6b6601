// Matrix-vector product with the matrix stored in int8, one scale per row, the way PyTorch's dynamic
// quantization stores LSTM and Linear weights: W[i, ·] ≈ s_i·q[i, ·] with q in [−127, 127] (symmetric, per row).
// On each call the vector is quantized with one scale, x ≈ s_x·p, to as many bits as keep every sum exact in
// int32 (16 bits for rows of up to 1,032 columns, 15 up to 2,065, …), and y_i (+)= (s_i·s_x)·Σ_j q[i, j]·p[j]
// with the sum in integers (vpmaddwd: 32 products per instruction). A token of decoding reads a quarter of the
// bytes of float32 weights. Rows are split across the worker threads in one block each and taken four at a
// time, as in Gemv, so each row's result does not depend on the thread count.
// Legend: W [M, K] row-major, x [K], y [M].
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

/// <summary>int8 weights with a scale per row: quantization and the matrix-vector product.</summary>
public static unsafe class GemvInt8
{
    /// <summary>The largest magnitude of a quantized weight.</summary>
    public const int WeightLevels = 127;

    [ThreadStatic] private static Job? _job;
    [ThreadStatic] private static AlignedArray<short>? _quantized;

    /// <summary>
    /// Quantizes W [M, K] row by row: scales[i] = max_j |W[i, j]| / 127 and q[i, j] = round(W[i, j] / scales[i])
    /// (to nearest, ties to even). A row of zeros gets scale 0.
    /// </summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes, or a weight that is not finite.</exception>
    public static void Quantize(ReadOnlySpan<float> w, int m, int k, Span<sbyte> q, Span<float> scales)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || q.Length < (long)m * k || scales.Length < m)
            throw new ArgumentException($"GemvInt8.Quantize: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}; q has {q.Length}) and {m} scales (has {scales.Length}).");
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> row = w.Slice(i * k, k);
            if (!TensorPrimitives.IsFiniteAll(row))
                throw new ArgumentException($"GemvInt8.Quantize: row {i} holds a weight that is not finite; int8 cannot represent it.");
            float max = k == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(row));
            float scale = max / WeightLevels;
            scales[i] = scale;
            Span<sbyte> to = q.Slice(i * k, k);
            if (scale == 0f) { to.Clear(); continue; }
            float inverse = 1f / scale;
            for (int j = 0; j < k; j++) to[j] = (sbyte)Math.Clamp(MathF.Round(row[j] * inverse), -WeightLevels, WeightLevels);
        }
    }

    /// <summary>
    /// The largest magnitude the vector is quantized to for rows of <paramref name="k"/> columns: 32,767, or less
    /// where K·127·32,767 would overflow an int32 sum.
    /// </summary>
    public static int VectorLevels(int k) => (int)Math.Min(short.MaxValue, int.MaxValue / (WeightLevels * (long)Math.Max(k, 1)));

    /// <summary>
    /// Quantizes x [K] for <see cref="Multiply"/>: p[j] = round(x[j] / s) with s = max |x| / <see cref="VectorLevels"/>
    /// (0 for a zero vector); returns s.
    /// </summary>
    /// <exception cref="ArgumentException">p shorter than x, or a value that is not finite.</exception>
    public static float QuantizeVector(ReadOnlySpan<float> x, Span<short> p)
    {
        if (p.Length < x.Length) throw new ArgumentException($"GemvInt8.QuantizeVector: p needs {x.Length} elements; got {p.Length}.");
        float max = x.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(x));
        if (!float.IsFinite(max)) throw new ArgumentException("GemvInt8.QuantizeVector: the vector holds a value that is not finite.");
        if (max == 0f)
        {
            p[..x.Length].Clear();
            return 0f;
        }
        int levels = VectorLevels(x.Length);
        float scale = max / levels, inverse = levels / max;
        int j = 0;
        if (Avx512BW.IsSupported)
        {
            fixed (float* px = x)
            fixed (short* pp = p)
            {
                var inv = Vector512.Create(inverse);
                var limit = Vector512.Create((float)levels);
                for (; j + 32 <= x.Length; j += 32)
                {
                    // Round to nearest even (the default rounding mode), as MathF.Round below.
                    var lo = Avx512F.ConvertToVector512Int32(Vector512.Min(Vector512.Max(Vector512.Load(px + j) * inv, -limit), limit));
                    var hi = Avx512F.ConvertToVector512Int32(Vector512.Min(Vector512.Max(Vector512.Load(px + j + 16) * inv, -limit), limit));
                    Vector512.Narrow(lo, hi).Store(pp + j);
                }
            }
        }
        for (; j < x.Length; j++) p[j] = (short)Math.Clamp(MathF.Round(x[j] * inverse), -levels, levels);
        return scale;
    }

    /// <summary>
    /// y[i] = β·y[i] + scales[i]·s_x·Σ_j q[i, j]·p[j], β 0 or 1, with x quantized by <see cref="QuantizeVector"/>
    /// and the sums exact in int32.
    /// </summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes, or x holds a value that is not finite.</exception>
    public static void Multiply(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        if (m < 0 || k < 0 || q.Length < (long)m * k || scales.Length < m || x.Length < k || y.Length < m)
            throw new ArgumentException($"GemvInt8: W [{m}, {k}] needs {(long)m * k} weights (has {q.Length}) and {m} scales (has {scales.Length}), x needs {k} (has {x.Length}), y needs {m} (has {y.Length}).");
        if (m == 0) return;
        AlignedArray<short> p = _quantized is { } held && held.Length >= k ? held : _quantized = new AlignedArray<short>(Math.Max(k, 64));
        float sx = QuantizeVector(x[..k], p.Span);
        fixed (sbyte* pq = q)
        fixed (float* ps = scales)
        fixed (short* pp = p.Span)
        fixed (float* py = y)
        {
            Job job = _job ??= new Job();
            int rows = Gemv.RowsPerItem(m, k);
            (job.Q, job.S, job.P, job.Y, job.M, job.K, job.Scale, job.Accumulate, job.Rows) = ((nint)pq, (nint)ps, (nint)pp, (nint)py, m, k, sx, accumulate, rows);
            Parallelism.For(job, (m + rows - 1) / rows);   // one item runs on the calling thread
        }
    }

    /// <summary>The plain loops that define <see cref="Multiply"/> (same quantization, same final float operations), for tests.</summary>
    public static void Reference(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, int m, int k, ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        var p = new short[k];
        float sx = QuantizeVector(x[..k], p);
        for (int i = 0; i < m; i++)
        {
            long sum = 0;
            for (int j = 0; j < k; j++) sum += q[i * k + j] * p[j];
            float value = Finish((int)sum, scales[i], sx);
            y[i] = accumulate ? y[i] + value : value;
        }
    }

    /// <summary>One row's result from its integer sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(int sum, float rowScale, float vectorScale) => sum * (rowScale * vectorScale);

    /// <summary>One row's integer dot product.</summary>
    private static int Dot(sbyte* q, short* p, int k)
    {
        int j = 0, sum = 0;
        if (Avx512BW.IsSupported)
        {
            Vector512<int> acc = default;
            for (; j + 32 <= k; j += 32)
                acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(q + j)), Vector512.Load(p + j));
            sum = Vector512.Sum(acc);
        }
        for (; j < k; j++) sum += q[j] * p[j];
        return sum;
    }

    /// <summary>Four rows' integer dot products: each 32-column slice of p is loaded once for the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot4(sbyte* q, int k, short* p)
    {
        sbyte* q1 = q + k, q2 = q1 + k, q3 = q2 + k;
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
        int j = 0;
        for (; j + 32 <= k; j += 32)
        {
            Vector512<short> pv = Vector512.Load(p + j);
            a0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(q + j)), pv);
            a1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(q1 + j)), pv);
            a2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(q2 + j)), pv);
            a3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(q3 + j)), pv);
        }
        // The four lane sums in one transposing reduction (as Gemv.Sum4); integer sums are exact in any order.
        Vector256<int> b0 = a0.GetLower() + a0.GetUpper(), b1 = a1.GetLower() + a1.GetUpper();
        Vector256<int> b2 = a2.GetLower() + a2.GetUpper(), b3 = a3.GetLower() + a3.GetUpper();
        Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(b0, b1), Avx2.HorizontalAdd(b2, b3));
        Vector128<int> sums = h.GetLower() + h.GetUpper();
        if (j < k)
        {
            int t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (; j < k; j++)
            {
                int pj = p[j];
                t0 += q[j] * pj;
                t1 += q1[j] * pj;
                t2 += q2[j] * pj;
                t3 += q3[j] * pj;
            }
            sums += Vector128.Create(t0, t1, t2, t3);
        }
        return sums;
    }

    private sealed class Job : IParallelJob
    {
        public nint Q, S, P, Y;
        public int M, K, Rows;
        public float Scale;
        public bool Accumulate;

        public void Execute(int chunk)
        {
            int start = chunk * Rows, end = Math.Min(M, start + Rows);
            sbyte* q = (sbyte*)Q;
            float* s = (float*)S, y = (float*)Y;
            short* p = (short*)P;
            int i = start;
            if (Avx512BW.IsSupported && K >= 32)
                for (; i + 4 <= end; i += 4)
                {
                    Vector128<int> sums = Dot4(q + (long)i * K, K, p);
                    for (int r = 0; r < 4; r++)
                    {
                        float value = Finish(sums[r], s[i + r], Scale);
                        y[i + r] = Accumulate ? y[i + r] + value : value;
                    }
                }
            for (; i < end; i++)
            {
                float value = Finish(Dot(q + (long)i * K, p, K), s[i], Scale);
                y[i] = Accumulate ? y[i] + value : value;
            }
        }
    }
}
