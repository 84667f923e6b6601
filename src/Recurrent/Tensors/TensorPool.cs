// A pool of float arrays keyed by exact length. A training loop repeats the same shapes every step,
// so exact-length buckets give near-perfect reuse without wasting memory on power-of-two rounding.
namespace Recurrent.Tensors;

/// <summary>Thread-safe pool of float arrays, bucketed by exact length.</summary>
public sealed class TensorPool
{
    private readonly Dictionary<int, Stack<float[]>> _buckets = new();
    private readonly object _lock = new();
    private long _pooledElements;

    /// <summary>The process-wide pool used by <see cref="Tensor.Rent"/>.</summary>
    public static TensorPool Shared { get; } = new();

    /// <summary>Upper bound on elements kept in the pool; arrays beyond it are left to the GC. Default 1 Gi floats.</summary>
    public long CapacityElements { get; set; } = 1L << 30;

    /// <summary>Elements currently held by the pool.</summary>
    public long PooledElements { get { lock (_lock) return _pooledElements; } }

    /// <summary>An array of exactly <paramref name="length"/> elements with unspecified contents.</summary>
    public float[] Rent(int length)
    {
        if (length == 0) return [];
        lock (_lock)
        {
            if (_buckets.TryGetValue(length, out var stack) && stack.Count > 0)
            {
                _pooledElements -= length;
                return stack.Pop();
            }
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Gives an array back. The caller must not use it afterwards.</summary>
    public void Return(float[] array)
    {
        if (array.Length == 0) return;
        lock (_lock)
        {
            if (_pooledElements + array.Length > CapacityElements) return;
            if (!_buckets.TryGetValue(array.Length, out var stack))
                _buckets[array.Length] = stack = new Stack<float[]>();
            stack.Push(array);
            _pooledElements += array.Length;
        }
    }

    /// <summary>Drops every pooled array.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _buckets.Clear();
            _pooledElements = 0;
        }
    }
}
