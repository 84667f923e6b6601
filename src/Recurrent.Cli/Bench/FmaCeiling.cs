// Measures this machine's float32 FMA ceiling: a register-only loop of independent fused multiply-adds
// on the widest vectors the processor has, on every kernel thread. GEMM figures are read against it.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Recurrent.Tensors;

namespace Recurrent.Cli.Bench;

/// <summary>The peak GFLOP/s of fused multiply-adds on this machine.</summary>
public static class FmaCeiling
{
    private const int Iterations = 4_000_000;

    /// <summary>
    /// Peak GFLOP/s over <see cref="Parallelism.ThreadCount"/> threads: the fastest of nine short rounds, since on a
    /// shared machine a round that lost a core to another process would otherwise halve the ceiling.
    /// </summary>
    public static double MeasureGflops()
    {
        int threads = Parallelism.ThreadCount;
        var job = new Job();
        double seconds = Timing.BestSecondsPerCall(() => Parallelism.For(job, threads), rounds: 9, minSeconds: 0.05);
        return threads * FlopsPerCall / seconds / 1e9;
    }

    private static double FlopsPerCall => Iterations * 16.0 * 2 * (Avx512F.IsSupported ? 16 : 8);

    private sealed class Job : IParallelJob
    {
        public float Sink;
        public void Execute(int index) => Sink += Avx512F.IsSupported ? Loop512(Iterations) : Loop256(Iterations);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop512(int n)
    {
        var x = Vector512.Create(1.0000001f);
        var y = Vector512.Create(0.9999999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        for (int i = 0; i < n; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(x, y, c0); c1 = Avx512F.FusedMultiplyAdd(x, y, c1);
            c2 = Avx512F.FusedMultiplyAdd(x, y, c2); c3 = Avx512F.FusedMultiplyAdd(x, y, c3);
            c4 = Avx512F.FusedMultiplyAdd(x, y, c4); c5 = Avx512F.FusedMultiplyAdd(x, y, c5);
            c6 = Avx512F.FusedMultiplyAdd(x, y, c6); c7 = Avx512F.FusedMultiplyAdd(x, y, c7);
            c8 = Avx512F.FusedMultiplyAdd(x, y, c8); c9 = Avx512F.FusedMultiplyAdd(x, y, c9);
            c10 = Avx512F.FusedMultiplyAdd(x, y, c10); c11 = Avx512F.FusedMultiplyAdd(x, y, c11);
            c12 = Avx512F.FusedMultiplyAdd(x, y, c12); c13 = Avx512F.FusedMultiplyAdd(x, y, c13);
            c14 = Avx512F.FusedMultiplyAdd(x, y, c14); c15 = Avx512F.FusedMultiplyAdd(x, y, c15);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop256(int n)
    {
        var x = Vector256.Create(1.0000001f);
        var y = Vector256.Create(0.9999999f);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector256<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        for (int i = 0; i < n; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(x, y, c0); c1 = Vector256.FusedMultiplyAdd(x, y, c1);
            c2 = Vector256.FusedMultiplyAdd(x, y, c2); c3 = Vector256.FusedMultiplyAdd(x, y, c3);
            c4 = Vector256.FusedMultiplyAdd(x, y, c4); c5 = Vector256.FusedMultiplyAdd(x, y, c5);
            c6 = Vector256.FusedMultiplyAdd(x, y, c6); c7 = Vector256.FusedMultiplyAdd(x, y, c7);
            c8 = Vector256.FusedMultiplyAdd(x, y, c8); c9 = Vector256.FusedMultiplyAdd(x, y, c9);
            c10 = Vector256.FusedMultiplyAdd(x, y, c10); c11 = Vector256.FusedMultiplyAdd(x, y, c11);
            c12 = Vector256.FusedMultiplyAdd(x, y, c12); c13 = Vector256.FusedMultiplyAdd(x, y, c13);
            c14 = Vector256.FusedMultiplyAdd(x, y, c14); c15 = Vector256.FusedMultiplyAdd(x, y, c15);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15).ToScalar();
    }
}
