using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

[Collection(GlobalStateCollection.Name)]
public sealed class ParallelismTests
{
    private sealed class CountingJob(int count) : IParallelJob
    {
        public readonly int[] Hits = new int[count];
        public void Execute(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private sealed class NestedJob : IParallelJob
    {
        public readonly int[] Inner = new int[8 * 8];
        public void Execute(int index)
        {
            var inner = new OffsetJob(Inner, index * 8);
            Parallelism.For(inner, 8);
        }
    }

    private sealed class OffsetJob(int[] hits, int offset) : IParallelJob
    {
        public void Execute(int index) => Interlocked.Increment(ref hits[offset + index]);
    }

    private sealed class ThrowingJob : IParallelJob
    {
        public void Execute(int index)
        {
            if (index == 13) throw new InvalidOperationException("item 13 failed");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void For_EveryIndex_RunsExactlyOnce(int threads)
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = threads;
            for (int round = 0; round < 200; round++)
            {
                var job = new CountingJob(1 + round % 37);
                Parallelism.For(job, job.Hits.Length);
                Assert.All(job.Hits, h => Assert.Equal(1, h));
            }
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }

    [Fact]
    public void For_NestedCalls_RunInline()
    {
        var job = new NestedJob();
        Parallelism.For(job, 8);
        Assert.All(job.Inner, h => Assert.Equal(1, h));
    }

    [Fact]
    public void For_FailingItem_RethrowsOnCaller()
    {
        var e = Assert.Throws<AggregateException>(() => Parallelism.For(new ThrowingJob(), 100));
        Assert.Contains("item 13 failed", e.InnerException!.Message);
        var after = new CountingJob(10);
        Parallelism.For(after, 10);
        Assert.All(after.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void ThreadCount_OutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Parallelism.ThreadCount = 0);
    }
}
