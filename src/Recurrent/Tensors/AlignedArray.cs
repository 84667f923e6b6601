// A pinned array whose visible part starts on a 64-byte boundary: one cache line, one AVX-512 vector. The
// matrix-vector products of decoding stream their weights from L3, and a vector load that straddles two lines
// there cost ~10 % of the speed (bfloat16 charlm-lstm products per token: 51.6 µs aligned, 55–58 µs at
// offsets of 16 or 32 bytes). Pinned arrays live on the pinned object heap and never move, so the alignment holds.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Recurrent.Tensors;

/// <summary>A fixed-length buffer of <typeparamref name="T"/> whose first element is 64-byte aligned.</summary>
public sealed unsafe class AlignedArray<T> where T : unmanaged
{
    private const int Alignment = 64;
    private readonly T[] _array;
    private readonly int _offset;

    /// <summary>A zeroed buffer of <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative length.</exception>
    public AlignedArray(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int size = Unsafe.SizeOf<T>();
        _array = GC.AllocateArray<T>(length + Alignment / size + 1, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        int misaligned = (int)(address & (Alignment - 1));
        _offset = misaligned == 0 ? 0 : (Alignment - misaligned + size - 1) / size;
        Length = length;
    }

    /// <summary>A 64-byte-aligned copy of <paramref name="values"/>.</summary>
    public AlignedArray(ReadOnlySpan<T> values) : this(values.Length) => values.CopyTo(Span);

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The elements; <c>Span[0]</c> sits on a 64-byte boundary (when <typeparamref name="T"/>'s size divides 64).</summary>
    public Span<T> Span => _array.AsSpan(_offset, Length);
}
