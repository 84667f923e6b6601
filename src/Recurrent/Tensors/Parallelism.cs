// Parallel helper: persistent worker threads that run the indices of a job, with the caller taking
// part. No allocation per call: callers keep their job objects and reuse them. Work is split into
// indices by the caller, so that results do not depend on how many threads ran.
// Nested calls (a job that itself calls For) run inline on the calling thread.
using System.Diagnostics;

namespace Recurrent.Tensors;

/// <summary>A unit of parallel work: <see cref="Execute"/> is called once for each index in [0, count).</summary>
public interface IParallelJob
{
    /// <summary>Runs work item <paramref name="index"/>. Items run concurrently and in any order.</summary>
    void Execute(int index);
}

/// <summary>Runs jobs across the machine's cores on persistent workers.</summary>
public static class Parallelism
{
    private static readonly object _configLock = new();
    private static WorkerPool? _pool;
    private static int _threadCount = Environment.ProcessorCount;
    [ThreadStatic] private static bool _insideJob;

    /// <summary>
    /// Threads used by kernels, including the caller. Default: all cores (<see cref="Environment.ProcessorCount"/>).
    /// Results are identical for every value. It may be changed from any thread while others run kernels: a job in
    /// progress finishes on the workers it started with.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1 or more than 256.</exception>
    /// <exception cref="InvalidOperationException">Set from inside a parallel work item.</exception>
    public static int ThreadCount
    {
        get => _threadCount;
        set
        {
            if (value < 1 || value > 256)
                throw new ArgumentOutOfRangeException(nameof(value), value, "Parallelism.ThreadCount must be between 1 and 256.");
            // A job's own items run on the pool's threads, which the change would stop under it.
            if (_insideJob) throw new InvalidOperationException("Parallelism.ThreadCount cannot be changed from inside a parallel work item.");
            lock (_configLock)
            {
                if (value == _threadCount) return;
                _pool?.Shutdown();
                _pool = null;
                _threadCount = value;
            }
        }
    }

    /// <summary>Runs <paramref name="job"/> for every index in [0, <paramref name="count"/>), using up to <see cref="ThreadCount"/> threads.</summary>
    public static void For(IParallelJob job, int count)
    {
        if (count <= 0) return;
        if (count == 1 || _threadCount == 1 || _insideJob)
        {
            for (int i = 0; i < count; i++) job.Execute(i);
            return;
        }
        WorkerPool pool = _pool ?? CreatePool();
        pool.Run(job, count);
    }

    private static WorkerPool CreatePool()
    {
        lock (_configLock)
            return _pool ??= new WorkerPool(_threadCount - 1);
    }

    internal static void MarkInsideJob(bool value) => _insideJob = value;

    /// <summary>Whether the calling thread is running a parallel work item (its own parallel calls then run inline).</summary>
    internal static bool InsideJob => _insideJob;

    /// <summary>Persistent workers that spin briefly for new work, then sleep.</summary>
    private sealed class WorkerPool
    {
        private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs
        private readonly object _runLock = new();
        private readonly object _wakeLock = new();
        private readonly int _workers;
        private IParallelJob? _job;
        private int _count;
        private int _next;
        private int _active;
        private volatile int _generation;
        private volatile bool _stop;
        private Exception? _error;

        public WorkerPool(int workers)
        {
            _workers = workers;
            for (int w = 0; w < workers; w++)
            {
                var thread = new Thread(WorkerLoop) { IsBackground = true, Name = $"recurrent-worker-{w}" };
                thread.Start();
            }
        }

        public void Run(IParallelJob job, int count)
        {
            // One job at a time: callers on other threads queue here.
            lock (_runLock)
            {
                if (_stop)
                {
                    // The thread count changed after the caller took this pool: its workers are gone, so the
                    // caller runs every item itself.
                    for (int i = 0; i < count; i++) job.Execute(i);
                    return;
                }
                _job = job;
                _count = count;
                _next = 0;
                _error = null;
                Volatile.Write(ref _active, _workers);
                lock (_wakeLock)
                {
                    _generation++;
                    Monitor.PulseAll(_wakeLock);
                }
                RunItems();
                var spin = new SpinWait();
                while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
                _job = null;
                if (_error is { } error)
                    throw new AggregateException("A parallel work item failed.", error);
            }
        }

        /// <summary>Stops the workers once the job in progress (if any) is done; later calls of <see cref="Run"/> run inline.</summary>
        public void Shutdown()
        {
            lock (_runLock) _stop = true;
            lock (_wakeLock)
            {
                _generation++;
                Monitor.PulseAll(_wakeLock);
            }
        }

        private void RunItems()
        {
            IParallelJob job = _job!;
            int count = _count;
            MarkInsideJob(true);
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref _next) - 1) < count) job.Execute(i);
            }
            catch (Exception e)
            {
                // Drain the remaining indices so every thread finishes, then rethrow on the caller.
                Interlocked.CompareExchange(ref _error, e, null);
                Interlocked.Exchange(ref _next, count);
            }
            finally
            {
                MarkInsideJob(false);
            }
        }

        private void WorkerLoop()
        {
            int seen = 0;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                while (_generation == seen)
                {
                    if (Stopwatch.GetTimestamp() - start < SpinTicks)
                    {
                        // Poll often: decoding one token dispatches three short jobs (~20 µs each), and a
                        // longer pause here delays the worker's start by half its length on average.
                        Thread.SpinWait(1);
                        continue;
                    }
                    lock (_wakeLock)
                        while (_generation == seen) Monitor.Wait(_wakeLock);
                }
                seen = _generation;
                if (_stop) return;
                RunItems();
                Interlocked.Decrement(ref _active);
            }
        }
    }
}
