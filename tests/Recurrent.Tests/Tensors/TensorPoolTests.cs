using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

public sealed class TensorPoolTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(13_107_200)]
    [InlineData(int.MaxValue / 2)]
    public void ClassSize_IsAtLeastTheLength_AndAtMostAnEighthMore(int length)
    {
        long size = TensorPool.ClassSize(length, out int index);
        Assert.True(size >= length);
        if (length > 16) Assert.True(size <= length + length / 8.0, $"{length} → {size}");
        // An array of exactly the class size goes back to the same class.
        if (size <= Array.MaxLength) Assert.Equal(index, TensorPool.FloorClassIndex((int)size));
    }

    [Fact]
    public void ClassSizes_GrowWithTheLength()
    {
        long previous = 0;
        int previousIndex = -1;
        for (int n = 1; n < 5000; n++)
        {
            long size = TensorPool.ClassSize(n, out int index);
            Assert.True(size >= previous && index >= previousIndex);
            Assert.Equal(size == previous, index == previousIndex);
            (previous, previousIndex) = (size, index);
        }
    }

    [Fact]
    public void Rent_GivesBackTheSameArray_ForTheSameLength()
    {
        var pool = new TensorPool();
        float[] a = pool.Rent(1000);
        pool.Return(a);
        Assert.Same(a, pool.Rent(1000));
    }

    [Fact]
    public void Rent_TakesAFreeArrayUpToTwiceTheSize_ButNeverASmallerOne()
    {
        var pool = new TensorPool();
        float[] big = pool.Rent(1500);
        pool.Return(big);
        Assert.NotSame(big, pool.Rent(1600));   // too small for 1,600
        float[] reused = pool.Rent(800);        // fits, within 2×
        Assert.Same(big, reused);
        pool.Return(reused);
        Assert.NotSame(big, pool.Rent(500));    // more than twice what 500 needs: left for a closer request
    }

    [Fact]
    public void Rent_WithLengthsVaryingFromBatchToBatch_KeepsThePoolNearOneBatchsPeak()
    {
        // Each "batch" holds four arrays whose lengths depend on a varying sequence length, as a
        // variable-length training loop does; the pool must not keep an array per length ever seen.
        var pool = new TensorPool();
        var rng = new Rng(3);
        long peakOfABatch = 0;
        for (int batch = 0; batch < 500; batch++)
        {
            int steps = 5 + rng.NextInt(30);
            float[][] held = [pool.Rent(steps * 1024), pool.Rent(steps * 4096), pool.Rent(steps * 4096), pool.Rent(steps * 512)];
            peakOfABatch = Math.Max(peakOfABatch, held.Sum(a => (long)a.Length));
            foreach (float[] a in held) pool.Return(a);
        }
        Assert.True(pool.PooledElements <= 3 * peakOfABatch, $"pool holds {pool.PooledElements} elements; one batch needs at most {peakOfABatch}");
    }

    [Fact]
    public void Return_OfAForeignArray_IsOnlyReusedForRequestsItCovers()
    {
        var pool = new TensorPool();
        var foreign = new float[1003];
        pool.Return(foreign);
        Assert.True(pool.Rent(1003).Length >= 1003);
        Assert.Same(foreign, pool.Rent(900));
    }

    [Fact]
    public void Rent_OfANegativeLength_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TensorPool().Rent(-1));
    }
}
