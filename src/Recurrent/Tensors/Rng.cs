// A seeded pseudo-random generator with a state that can be saved and restored, so a resumed training
// run draws exactly the numbers an uninterrupted one would. xoshiro256** (Blackman & Vigna), seeded
// through SplitMix64.
using System.Runtime.Intrinsics;

namespace Recurrent.Tensors;

/// <summary>Deterministic random numbers with serializable state.</summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>The full state: four words of xoshiro state; restore with <see cref="SetState"/>.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">Not four words, or all zero.</exception>
    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4 || (state[0] | state[1] | state[2] | state[3]) == 0)
            throw new ArgumentException($"Rng.SetState: expected four words, not all zero; got {state.Length} word(s).", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
        _spareGaussian = null;
    }

    /// <summary>64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "Rng.NextInt: the bound must be positive.");
        return (int)((NextUInt64() >> 32) * (ulong)maxExclusive >> 32);
    }

    /// <summary>Standard normal sample (Box–Muller, caching the second value).</summary>
    public double NextGaussian()
    {
        if (_spareGaussian is double spare)
        {
            _spareGaussian = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="x"/> with uniform values in [low, high).</summary>
    public void FillUniform(Span<float> x, float low, float high)
    {
        for (int i = 0; i < x.Length; i++) x[i] = low + (high - low) * NextFloat();
    }

    /// <summary>Fills <paramref name="x"/> with normal values of the given mean and standard deviation.</summary>
    public void FillNormal(Span<float> x, float mean, float std)
    {
        for (int i = 0; i < x.Length; i++) x[i] = mean + std * (float)NextGaussian();
    }

    /// <summary>
    /// Fills a dropout mask: each element is 0 with probability <paramref name="p"/> and <paramref name="keepValue"/>
    /// otherwise. One draw from this generator keys the mask; element i then takes the top 24 bits of
    /// SplitMix64's output for the state key + (i + 1)·γ as its uniform u_i and is dropped when u_i &lt; p, as
    /// <see cref="NextFloat"/> &lt; p would drop it. Every element is a function of the key and its index alone, so
    /// the mask is the same however it is computed, and it is computed 16 elements at a time where AVX-512 allows:
    /// a mask of millions of elements costs a fraction of a millisecond instead of one generator step each.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
    public void FillDropoutMask(Span<float> mask, float p, float keepValue)
    {
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "Rng.FillDropoutMask: the drop probability must be in [0, 1].");
        ulong key = NextUInt64();
        // u_i = bits / 2^24 < p  ⇔  bits < p·2^24  ⇔  bits < ⌈p·2^24⌉ (bits is an integer; p·2^24 is exact in double)
        uint threshold = (uint)Math.Ceiling(p * 16777216.0);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && mask.Length >= 16)
        {
            Vector512<ulong> gamma = Vector512.Create(0x9E3779B97F4A7C15UL);
            Vector512<ulong> step = gamma * 16UL;
            Vector512<ulong> lo = Vector512.Create(key) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * gamma;
            Vector512<ulong> hi = lo + gamma * 8UL;
            Vector512<uint> limit = Vector512.Create(threshold);
            Vector512<float> keep = Vector512.Create(keepValue);
            ref float m = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
            for (; i + 16 <= mask.Length; i += 16)
            {
                Vector512<uint> bits = Vector512.Narrow(Mix(lo) >>> 40, Mix(hi) >>> 40);
                Vector512<float> kept = Vector512.ConditionalSelect(Vector512.LessThan(bits, limit).AsSingle(), Vector512<float>.Zero, keep);
                kept.StoreUnsafe(ref m, (nuint)i);
                lo += step;
                hi += step;
            }
        }
        for (; i < mask.Length; i++)
        {
            ulong state = key + (ulong)i * 0x9E3779B97F4A7C15UL;   // SplitMix adds γ once more
            mask[i] = (uint)(SplitMix(ref state) >> 40) < threshold ? 0f : keepValue;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ (z >>> 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >>> 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ (z >>> 31);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
