using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

public sealed class DropoutMaskTests
{
    /// <summary>The definition in Rng.FillDropoutMask, one element at a time: SplitMix64 of key + (i + 1)·γ, top 24 bits.</summary>
    private static float[] Expected(ulong key, int length, float p, float keep)
    {
        var m = new float[length];
        for (int i = 0; i < length; i++)
        {
            ulong z = key + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            float u = ((z ^ (z >> 31)) >> 40) * (1f / (1 << 24));
            m[i] = u < p ? 0f : keep;
        }
        return m;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(4099)]
    public void Mask_IsTheKeyedStream_ElementByElement_WhateverTheLength(int length)
    {
        foreach (float p in new[] { 0.1f, 0.25f, 0.5f, 0.9f })
        {
            ulong key = new Rng(5).NextUInt64();
            var mask = new float[length];
            new Rng(5).FillDropoutMask(mask, p, 1f / (1f - p));
            Assert.Equal(Expected(key, length, p, 1f / (1f - p)), mask);
        }
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(0.25f)]
    [InlineData(0.5f)]
    public void DropFraction_IsP_AndNeighboursAreIndependent(float p)
    {
        const int n = 1 << 20;
        var mask = new float[n];
        new Rng(11).FillDropoutMask(mask, p, 2f);
        int dropped = 0, bothDropped = 0, lane0Dropped = 0;
        for (int i = 0; i < n; i++)
        {
            if (mask[i] == 0f) dropped++;
            else Assert.Equal(2f, mask[i]);
            if (i > 0 && mask[i] == 0f && mask[i - 1] == 0f) bothDropped++;
            if (i % 16 == 0 && mask[i] == 0f) lane0Dropped++;
        }
        // Binomial standard deviations: √(n·p·(1−p)) ≤ 512 for the whole mask; allow five.
        Assert.InRange(dropped, n * p - 2_600, n * p + 2_600);
        Assert.InRange(bothDropped, (n - 1) * p * p - 2_600, (n - 1) * p * p + 2_600);
        Assert.InRange(lane0Dropped, n / 16 * p - 650, n / 16 * p + 650);
    }

    [Fact]
    public void ProbabilityZero_KeepsEverything_AndOne_DropsEverything()
    {
        var mask = new float[100];
        new Rng(1).FillDropoutMask(mask, 0f, 1f);
        Assert.All(mask, v => Assert.Equal(1f, v));
        new Rng(1).FillDropoutMask(mask, 1f, 1f);
        Assert.All(mask, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EachCall_TakesOneDraw_SoMasksDiffer_AndAResumedGeneratorRepeatsThem()
    {
        var rng = new Rng(3);
        var first = new float[64];
        var second = new float[64];
        rng.FillDropoutMask(first, 0.5f, 2f);
        ulong[] state = rng.GetState();
        rng.FillDropoutMask(second, 0.5f, 2f);
        Assert.NotEqual(first, second);
        var resumed = new Rng(0);
        resumed.SetState(state);
        var again = new float[64];
        resumed.FillDropoutMask(again, 0.5f, 2f);
        Assert.Equal(second, again);
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.1f)]
    [InlineData(float.NaN)]
    public void ProbabilityOutsideZeroToOne_Throws(float p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Rng(1).FillDropoutMask(new float[4], p, 1f));
}
