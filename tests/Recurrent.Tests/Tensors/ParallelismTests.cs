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

    private static bool _runnerDone;

    [Fact]
    public void ThreadCount_ChangedWhileAnotherThreadRunsJobs_NeitherHangsNorSkipsItems()
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = 2;
            _runnerDone = false;
            int rounds = 0;
            Exception? failure = null;
            var runner = new Thread(() =>
            {
                try
                {
                    while (!Volatile.Read(ref _runnerDone))
                    {
                        var job = new CountingJob(64);
                        Parallelism.For(job, 64);
                        if (job.Hits.Any(h => h != 1)) throw new InvalidOperationException("an item was skipped or run twice");
                        Interlocked.Increment(ref rounds);
                    }
                }
                catch (Exception e) { failure = e; }
            }) { IsBackground = true };
            runner.Start();
            // Keep changing the count while the runner completes jobs (both at least a few hundred times).
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; (i < 300 || Volatile.Read(ref rounds) < 300) && clock.Elapsed.TotalSeconds < 20 && failure is null; i++)
                Parallelism.ThreadCount = 1 + i % 3;
            Volatile.Write(ref _runnerDone, true);
            Assert.True(runner.Join(TimeSpan.FromSeconds(30)), "a job waited forever for workers that the thread-count change had stopped");
            Assert.Null(failure);
            Assert.True(rounds >= 300, $"only {rounds} jobs completed in 20 s");
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }

    private sealed class SetThreadCountJob : IParallelJob
    {
        public Exception? Error;
        public void Execute(int index)
        {
            try { Parallelism.ThreadCount = Parallelism.ThreadCount == 1 ? 2 : 1; }
            catch (Exception e) { Error ??= e; }
        }
    }

    [Fact]
    public void ThreadCount_ChangedFromInsideAJob_IsRefused()
    {
        int saved = Parallelism.ThreadCount;
        try
        {
            Parallelism.ThreadCount = 2;
            var job = new SetThreadCountJob();
            Parallelism.For(job, 4);
            Assert.IsType<InvalidOperationException>(job.Error);
            Assert.Equal(2, Parallelism.ThreadCount);
        }
        finally
        {
            Parallelism.ThreadCount = saved;
        }
    }
}
