// Matrix-vector product with the matrix stored in int8, one scale per row, the way PyTorch's dynamic
// quantization stores LSTM and Linear weights: W[i, ·] ≈ s_i·q[i, ·] with q in [−127, 127] (symmetric, per row).
// On each call the vector is quantized with one scale to 7 bits, x ≈ s_x·p with p in [−63, 63], and stored as
// the bytes a = p + 64 in [1, 127]: vpmaddubsw multiplies 64 unsigned bytes by 64 signed weights per instruction,
// and its pairwise int16 sums cannot saturate (2·127·127 < 32,768), as PyTorch's "reduce_range" arranges on x86
// without VNNI. Then Σ_j q[i, j]·p[j] = Σ_j q[i, j]·a[j] − 64·Σ_j q[i, j], exactly in int32 (the row sums are
// kept with the weights), and y_i (+)= (s_i·s_x)·that sum. A token of decoding reads a quarter of the bytes of
// float32 weights at half the instructions per weight of 16-bit vectors (vpmovsxbw + vpmaddwd), which had left
// these products bound by arithmetic. Rows are split across the worker threads in one block each and taken
// four at a time, as in Gemv; integer sums make each row's result independent of the thread count. Without
// AVX-512 the same instructions run on 256-bit vectors (AVX2). The packed layout the decoder reads is in
// GemvInt8Packed.cs.
// Legend: W [M, K] row-major, x [K], y [M].
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Recurrent.Tensors;

/// <summary>int8 weights with a scale per row: quantization and the matrix-vector product.</summary>
public static unsafe partial class GemvInt8
{
    /// <summary>The largest magnitude of a quantized weight.</summary>
    public const int WeightLevels = 127;

    /// <summary>The largest magnitude of a quantized vector element (7 bits with the sign).</summary>
    public const int VectorLevels = 63;

    /// <summary>What is added to each quantized vector element to store it as an unsigned byte.</summary>
    public const int VectorOffset = 64;

    [ThreadStatic] private static Job? _job;
    [ThreadStatic] private static AlignedArray<byte>? _quantized;

    /// <summary>
    /// Quantizes W [M, K] row by row: scales[i] = max_j |W[i, j]| / 127, q[i, j] = round(W[i, j] / scales[i])
    /// (to nearest, ties to even) and rowSums[i] = Σ_j q[i, j]. A row of zeros gets scale 0.
    /// </summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes, or a weight that is not finite.</exception>
    public static void Quantize(ReadOnlySpan<float> w, int m, int k, Span<sbyte> q, Span<float> scales, Span<int> rowSums)
    {
        if (m < 0 || k < 0 || w.Length < (long)m * k || q.Length < (long)m * k || scales.Length < m || rowSums.Length < m)
            throw new ArgumentException($"GemvInt8.Quantize: W [{m}, {k}] needs {(long)m * k} elements (has {w.Length}; q has {q.Length}), {m} scales (has {scales.Length}) and {m} row sums (has {rowSums.Length}).");
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> row = w.Slice(i * k, k);
            if (!TensorPrimitives.IsFiniteAll(row))
                throw new ArgumentException($"GemvInt8.Quantize: row {i} holds a weight that is not finite; int8 cannot represent it.");
            float max = k == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(row));
            float scale = max / WeightLevels;
            scales[i] = scale;
            Span<sbyte> to = q.Slice(i * k, k);
            int sum = 0;
            if (scale == 0f) to.Clear();
            else
            {
                float inverse = 1f / scale;
                for (int j = 0; j < k; j++) sum += to[j] = (sbyte)Math.Clamp(MathF.Round(row[j] * inverse), -WeightLevels, WeightLevels);
            }
            rowSums[i] = sum;
        }
    }

    /// <summary>
    /// Quantizes x [K] for <see cref="Multiply"/>: a[j] = round(x[j] / s) + 64 with s = max |x| / 63 (to nearest,
    /// ties to even; s = 0 and every a[j] = 64 for a zero vector); returns s.
    /// </summary>
    /// <exception cref="ArgumentException">a shorter than x, or a value that is not finite.</exception>
    public static float QuantizeVector(ReadOnlySpan<float> x, Span<byte> a)
    {
        if (a.Length < x.Length) throw new ArgumentException($"GemvInt8.QuantizeVector: a needs {x.Length} elements; got {a.Length}.");
        float max = x.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(x));
        if (!float.IsFinite(max)) throw new ArgumentException("GemvInt8.QuantizeVector: the vector holds a value that is not finite.");
        if (max == 0f)
        {
            a[..x.Length].Fill(VectorOffset);
            return 0f;
        }
        float scale = max / VectorLevels, inverse = VectorLevels / max;
        int j = 0;
        if (Avx512F.IsSupported)
        {
            fixed (float* px = x)
            fixed (byte* pa = a)
            {
                var inv = Vector512.Create(inverse);
                var limit = Vector512.Create((float)VectorLevels);
                var offset = Vector512.Create(VectorOffset);
                for (; j + 16 <= x.Length; j += 16)
                {
                    // Round to nearest even (the default rounding mode), as MathF.Round below.
                    var p = Avx512F.ConvertToVector512Int32(Vector512.Min(Vector512.Max(Vector512.Load(px + j) * inv, -limit), limit));
                    Avx512F.ConvertToVector128Byte(p + offset).Store(pa + j);
                }
            }
        }
        for (; j < x.Length; j++) a[j] = (byte)(Math.Clamp(MathF.Round(x[j] * inverse), -VectorLevels, VectorLevels) + VectorOffset);
        return scale;
    }

    /// <summary>
    /// y[i] = β·y[i] + scales[i]·s_x·Σ_j q[i, j]·p[j], β 0 or 1, with x quantized by <see cref="QuantizeVector"/>
    /// (p = a − 64) and the sums exact in int32; <paramref name="rowSums"/> as <see cref="Quantize"/> gives them.
    /// </summary>
    /// <exception cref="ArgumentException">Spans too short for the sizes, or x holds a value that is not finite.</exception>
    public static void Multiply(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, ReadOnlySpan<int> rowSums, int m, int k,
        ReadOnlySpan<float> x, Span<float> y, bool accumulate) =>
        Run(q, scales, rowSums, m, k, x, y, accumulate, packed: false);

    /// <summary>Checks the sizes, quantizes x and runs the rows in fixed chunks, across the workers when the matrix is large.</summary>
    private static void Run(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, ReadOnlySpan<int> rowSums, int m, int k,
        ReadOnlySpan<float> x, Span<float> y, bool accumulate, bool packed)
    {
        if (m < 0 || k < 0 || q.Length < (long)m * k || scales.Length < m || rowSums.Length < m || x.Length < k || y.Length < m)
            throw new ArgumentException($"GemvInt8: W [{m}, {k}] needs {(long)m * k} weights (has {q.Length}), {m} scales (has {scales.Length}) and {m} row sums (has {rowSums.Length}), x needs {k} (has {x.Length}), y needs {m} (has {y.Length}).");
        if (m == 0) return;
        AlignedArray<byte> a = _quantized is { } held && held.Length >= k ? held : _quantized = new AlignedArray<byte>(Math.Max(k, 64));
        float sx = QuantizeVector(x[..k], a.Span);
        fixed (sbyte* pq = q)
        fixed (float* ps = scales)
        fixed (int* pr = rowSums)
        fixed (byte* pa = a.Span)
        fixed (float* py = y)
        {
            Job job = _job ??= new Job();
            int rows = Gemv.RowsPerItem(m, k, packed);
            (job.Q, job.S, job.R, job.A, job.Y, job.M, job.K, job.Scale, job.Accumulate, job.Packed, job.Rows) =
                ((nint)pq, (nint)ps, (nint)pr, (nint)pa, (nint)py, m, k, sx, accumulate, packed, rows);
            Parallelism.For(job, (m + rows - 1) / rows);   // one item runs on the calling thread
        }
    }

    /// <summary>
    /// The plain loops that define <see cref="Multiply"/> (same quantization, Σ q·p without the row sums, same final
    /// float operations), for tests.
    /// </summary>
    public static void Reference(ReadOnlySpan<sbyte> q, ReadOnlySpan<float> scales, int m, int k,
        ReadOnlySpan<float> x, Span<float> y, bool accumulate)
    {
        var a = new byte[k];
        float sx = QuantizeVector(x[..k], a);
        for (int i = 0; i < m; i++)
        {
            long sum = 0;
            for (int j = 0; j < k; j++) sum += q[i * k + j] * (a[j] - VectorOffset);
            float value = Finish((int)sum, scales[i], sx);
            y[i] = accumulate ? y[i] + value : value;
        }
    }

    /// <summary>One row's result from its integer sum Σ q·a and its row sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(int dot, int rowSum, float rowScale, float vectorScale) => Finish(dot - VectorOffset * rowSum, rowScale, vectorScale);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(int sum, float rowScale, float vectorScale) => sum * (rowScale * vectorScale);

    /// <summary>One row's Σ q·a.</summary>
    private static int Dot(sbyte* q, byte* a, int k)
    {
        int j = 0, sum = 0;
        if (Avx512BW.IsSupported)
        {
            Vector512<int> acc = default;
            Vector512<short> ones = Vector512<short>.One;
            for (; j + 64 <= k; j += 64)
                acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Vector512.Load(a + j), Vector512.Load(q + j)), ones);
            sum = Vector512.Sum(acc);
        }
        else if (Avx2.IsSupported)
        {
            Vector256<int> acc = default;
            Vector256<short> ones = Vector256<short>.One;
            for (; j + 32 <= k; j += 32)
                acc += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.Load(a + j), Vector256.Load(q + j)), ones);
            sum = Vector256.Sum(acc);
        }
        for (; j < k; j++) sum += q[j] * a[j];
        return sum;
    }

    /// <summary>As <see cref="Dot4"/> with 256-bit vectors (AVX2 without AVX-512).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot4Avx2(sbyte* q, int k, byte* a)
    {
        sbyte* q1 = q + k, q2 = q1 + k, q3 = q2 + k;
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<short> ones = Vector256<short>.One;
        int j = 0;
        for (; j + 32 <= k; j += 32)
        {
            Vector256<byte> av = Vector256.Load(a + j);
            a0 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(q + j)), ones);
            a1 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(q1 + j)), ones);
            a2 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(q2 + j)), ones);
            a3 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(av, Vector256.Load(q3 + j)), ones);
        }
        return Finish4(a0, a1, a2, a3, q + j, k, k - j, a + j);
    }

    /// <summary>Four rows' Σ q·a: each 64-column slice of a is loaded once for the four rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Dot4(sbyte* q, int k, byte* a)
    {
        sbyte* q1 = q + k, q2 = q1 + k, q3 = q2 + k;
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<short> ones = Vector512<short>.One;
        int j = 0;
        for (; j + 64 <= k; j += 64)
        {
            Vector512<byte> av = Vector512.Load(a + j);
            a0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(q + j)), ones);
            a1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(q1 + j)), ones);
            a2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(q2 + j)), ones);
            a3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(av, Vector512.Load(q3 + j)), ones);
        }
        return Finish4(a0.GetLower() + a0.GetUpper(), a1.GetLower() + a1.GetUpper(), a2.GetLower() + a2.GetUpper(), a3.GetLower() + a3.GetUpper(), q + j, k, k - j, a + j);
    }

    /// <summary>
    /// The end of four rows' sums: the lanes in one transposing reduction (as Gemv.Sum4; integer sums are exact in
    /// any order), then the <paramref name="count"/> columns left (row r's at tail[r·stride + c], with a's at aTail[c]).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Finish4(Vector256<int> b0, Vector256<int> b1, Vector256<int> b2, Vector256<int> b3, sbyte* tail, int stride, int count, byte* aTail)
    {
        Vector256<int> h = Avx2.HorizontalAdd(Avx2.HorizontalAdd(b0, b1), Avx2.HorizontalAdd(b2, b3));
        Vector128<int> sums = h.GetLower() + h.GetUpper();
        if (count > 0)
        {
            sbyte* q1 = tail + stride, q2 = q1 + stride, q3 = q2 + stride;
            int t0 = 0, t1 = 0, t2 = 0, t3 = 0;
            for (int c = 0; c < count; c++)
            {
                int ac = aTail[c];
                t0 += tail[c] * ac;
                t1 += q1[c] * ac;
                t2 += q2[c] * ac;
                t3 += q3[c] * ac;
            }
            sums += Vector128.Create(t0, t1, t2, t3);
        }
        return sums;
    }

    private sealed class Job : IParallelJob
    {
        public nint Q, S, R, A, Y;
        public int M, K, Rows;
        public float Scale;
        public bool Accumulate, Packed;

        public void Execute(int chunk)
        {
            int start = chunk * Rows, end = Math.Min(M, start + Rows);
            sbyte* q = (sbyte*)Q;
            float* s = (float*)S, y = (float*)Y;
            int* r = (int*)R;
            byte* a = (byte*)A;
            if (Packed)
            {
                for (int g, i0 = start; i0 < end; i0 += g)
                {
                    g = RowGroups.Rows(M, i0);
                    PackedGroup(q + (long)i0 * K, g, K, a, r + i0, s + i0, Scale, y + i0, Accumulate);
                }
                return;
            }
            int i = start;
            if ((Avx512BW.IsSupported && K >= 64) || (Avx2.IsSupported && K >= 32))
                for (; i + 4 <= end; i += 4)
                {
                    Vector128<int> dots = Avx512BW.IsSupported ? Dot4(q + (long)i * K, K, a) : Dot4Avx2(q + (long)i * K, K, a);
                    for (int row = 0; row < 4; row++)
                    {
                        float value = Finish(dots[row], r[i + row], s[i + row], Scale);
                        y[i + row] = Accumulate ? y[i + row] + value : value;
                    }
                }
            for (; i < end; i++)
            {
                float value = Finish(Dot(q + (long)i * K, a, K), r[i], s[i], Scale);
                y[i] = Accumulate ? y[i] + value : value;
            }
        }
    }
}
