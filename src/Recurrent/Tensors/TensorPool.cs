// A pool of float arrays in size classes: eight classes per power of two, so a new array is at most 12.5 % longer
// than asked for. A training loop that repeats its shapes gets the same arrays back every step. One whose shapes
// change from batch to batch (sequences of varying length) takes the smallest free array of up to twice its size
// class instead of allocating one per shape, so the pool stays near what one batch needs at its peak rather
// than growing with every length it has ever seen.
namespace Recurrent.Tensors;

/// <summary>Thread-safe pool of float arrays, bucketed by size class.</summary>
public sealed class TensorPool
{
    private const int SmallestClass = 16;     // 2^4: lengths up to 16 share one class
    private const int ClassesPerOctave = 8;
    private const int Reach = ClassesPerOctave; // a request may take an array from this many classes above its own (class sizes ≤ 2×)

    private readonly Stack<float[]>?[] _buckets = new Stack<float[]>?[(31 - 4) * ClassesPerOctave + 1];
    private readonly object _lock = new();
    private long _pooledElements;

    /// <summary>The process-wide pool used by <see cref="Tensor.Rent(int[], bool)"/>.</summary>
    public static TensorPool Shared { get; } = new();

    /// <summary>Upper bound on elements kept in the pool; arrays beyond it are left to the GC. Default 1 Gi floats.</summary>
    public long CapacityElements { get; set; } = 1L << 30;

    /// <summary>Elements currently held by the pool.</summary>
    public long PooledElements { get { lock (_lock) return _pooledElements; } }

    /// <summary>
    /// An array of at least <paramref name="length"/> elements (at most 12.5 % more when newly allocated; when reused,
    /// from a class of up to twice the request's class, so at most about 2.25 times as many) with unspecified
    /// contents; use its first <paramref name="length"/> elements.
    /// </summary>
    public float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0) return [];
        long size = ClassSize(length, out int index);
        if (size > Array.MaxLength) return GC.AllocateUninitializedArray<float>(length);
        lock (_lock)
        {
            int last = Math.Min(index + Reach, _buckets.Length - 1);
            for (int i = index; i <= last; i++)
            {
                if (_buckets[i] is { Count: > 0 } stack)
                {
                    float[] array = stack.Pop();
                    _pooledElements -= array.Length;
                    return array;
                }
            }
        }
        return GC.AllocateUninitializedArray<float>((int)size);
    }

    /// <summary>Gives an array back. The caller must not use it afterwards.</summary>
    public void Return(float[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length < SmallestClass) return;
        int index = FloorClassIndex(array.Length);
        lock (_lock)
        {
            if (_pooledElements + array.Length > CapacityElements) return;
            (_buckets[index] ??= new Stack<float[]>()).Push(array);
            _pooledElements += array.Length;
        }
    }

    /// <summary>Drops every pooled array.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            Array.Clear(_buckets);
            _pooledElements = 0;
        }
    }

    /// <summary>The smallest class size ≥ <paramref name="length"/> (≥ 1) and its index.</summary>
    internal static long ClassSize(int length, out int index)
    {
        if (length <= SmallestClass)
        {
            index = 0;
            return SmallestClass;
        }
        int octave = 31 - int.LeadingZeroCount(length);            // 2^octave ≤ length < 2^(octave+1)
        long step = 1L << (octave - 3);
        long k = (length + step - 1) / step;                        // 8 … 16
        if (k == 2 * ClassesPerOctave) (octave, step, k) = (octave + 1, step * 2, ClassesPerOctave);
        index = (octave - 4) * ClassesPerOctave + (int)(k - ClassesPerOctave);
        return k * step;
    }

    /// <summary>The index of the largest class size ≤ <paramref name="length"/> (≥ 16): every array in bucket i is at least class i's size.</summary>
    internal static int FloorClassIndex(int length)
    {
        int octave = 31 - int.LeadingZeroCount(length);
        long k = length / (1L << (octave - 3));                     // 8 … 15
        return (octave - 4) * ClassesPerOctave + (int)(k - ClassesPerOctave);
    }
}
