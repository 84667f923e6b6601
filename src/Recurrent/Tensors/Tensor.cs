// A dense float32 tensor: a shape and contiguous row-major storage.
// Storage may come from TensorPool (Tensor.Rent) so training loops reuse buffers instead of
// allocating; Dispose returns pooled storage. Views (Reshape) share storage and never return it.
using System.Runtime.CompilerServices;

namespace Recurrent.Tensors;

/// <summary>A dense, contiguous, row-major float32 tensor.</summary>
public sealed class Tensor : IDisposable
{
    private readonly int[] _shape;
    private float[]? _data;
    private readonly bool _pooled;

    private Tensor(float[] data, int[] shape, bool pooled)
    {
        _data = data;
        _shape = shape;
        _pooled = pooled;
        Length = ShapeLength(shape);
    }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The shape; do not modify the returned span.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>The elements, row-major.</summary>
    public Span<float> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Storage.AsSpan(0, Length);
    }

    /// <summary>The underlying array (may be longer than <see cref="Length"/> for pooled storage).</summary>
    public float[] Storage => _data ?? throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed; its storage went back to the pool.");

    /// <summary>Element access by flat index.</summary>
    public float this[int index]
    {
        get => Span[index];
        set => Span[index] = value;
    }

    /// <summary>A new zero-filled tensor (ordinary GC storage).</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[CheckedLength(shape)], (int[])shape.Clone(), pooled: false);

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <exception cref="ArgumentException">The shape's element count differs from the array length.</exception>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        int length = CheckedLength(shape);
        if (length != data.Length)
            throw new ArgumentException($"Tensor.FromArray: shape [{string.Join(", ", shape)}] holds {length} elements but the array has {data.Length}; pass a shape whose product equals the array length.", nameof(shape));
        return new Tensor(data, (int[])shape.Clone(), pooled: false);
    }

    /// <summary>A tensor whose storage is rented from <see cref="TensorPool.Shared"/>; dispose it to return the storage.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="clear">Zero the elements (rented storage holds stale values otherwise).</param>
    public static Tensor Rent(int[] shape, bool clear = true) => Rent(shape, clear, minCapacity: 0);

    /// <summary>As <see cref="Rent(int[], bool)"/>, with storage for at least <paramref name="minCapacity"/> floats (only the shape's are cleared).</summary>
    internal static Tensor Rent(int[] shape, bool clear, int minCapacity)
    {
        int length = CheckedLength(shape);
        float[] data = TensorPool.Shared.Rent(Math.Max(length, minCapacity));
        if (clear) data.AsSpan(0, length).Clear();
        return new Tensor(data, (int[])shape.Clone(), pooled: true);
    }

    /// <summary>A view with another shape over the same storage. The view does not own the storage.</summary>
    public Tensor Reshape(params int[] shape)
    {
        int length = CheckedLength(shape);
        if (length != Length)
            throw new ArgumentException($"Tensor.Reshape: cannot view [{string.Join(", ", _shape)}] ({Length} elements) as [{string.Join(", ", shape)}] ({length} elements).", nameof(shape));
        return new Tensor(Storage, (int[])shape.Clone(), pooled: false);
    }

    /// <summary>A deep copy with ordinary GC storage.</summary>
    public Tensor Clone()
    {
        var copy = Zeros(_shape);
        Span.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>True when both shapes are equal.</summary>
    public bool SameShape(Tensor other) => _shape.AsSpan().SequenceEqual(other._shape);

    /// <summary>The shape as text, e.g. <c>[64, 2048]</c>.</summary>
    public string ShapeText => $"[{string.Join(", ", _shape)}]";

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{ShapeText}";

    /// <summary>Returns pooled storage to the pool. Using the tensor afterwards throws.</summary>
    public void Dispose()
    {
        float[]? data = _data;
        _data = null;
        if (_pooled && data is not null) TensorPool.Shared.Return(data);
    }

    private static int ShapeLength(int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return (int)n;
    }

    private static int CheckedLength(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] has a negative dimension; every dimension must be ≥ 0.", nameof(shape));
            n *= d;
            if (n > Array.MaxLength)
                throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] has more than {Array.MaxLength} elements; split the work into smaller tensors.", nameof(shape));
        }
        return (int)n;
    }
}
