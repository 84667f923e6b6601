// Reads a safetensors file from a stream with bounded memory: the 8-byte header length is checked against
// the limit and the stream length before the header is read, the header is checked in full before any
// tensor storage is allocated, and each tensor's storage is sized from its checked byte range, so nothing
// larger than the file implies is ever allocated (F16/BF16 become float32, twice their stored size).
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Recurrent.Tensors;

namespace Recurrent.Interop;

internal static class SafeTensorsReader
{
    private const int ChunkBytes = 1 << 16;

    /// <summary>Reads every tensor of safetensors data.</summary>
    /// <param name="stream">The data; seekable (its Length is used) and at position 0.</param>
    /// <param name="file">The name used in error messages.</param>
    public static SafeTensorsFile Read(Stream stream, string file)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new RecurrentDataException($"{file}: the file has {fileLength} bytes, expected at least 8 (the header length); the file is truncated or not a safetensors file.");
        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(stream, prefix, file);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength == 0)
            throw new RecurrentDataException($"{file}: the header length is 0, expected a JSON header of at least 2 bytes; the file is damaged or not a safetensors file.");
        if (headerLength > SafeTensorsHeader.MaxHeaderBytes)
            throw new RecurrentDataException($"{file}: the header length is {headerLength} bytes, more than the {SafeTensorsHeader.MaxHeaderBytes}-byte limit; the file is damaged or not a safetensors file.");
        if (headerLength > (ulong)(fileLength - 8))
            throw new RecurrentDataException($"{file}: the header length is {headerLength} bytes, but only {fileLength - 8} bytes follow the length field; the file is truncated or not a safetensors file.");

        var header = new byte[headerLength];
        ReadExactly(stream, header, file);
        long dataLength = fileLength - 8 - (long)headerLength;
        SafeTensorsHeader parsed = SafeTensorsHeader.Parse(header, dataLength, file);

        // The header check proved the sorted ranges tile the data section, so one forward pass reads them all.
        var tensors = new Dictionary<string, Tensor>(parsed.Entries.Count, StringComparer.Ordinal);
        byte[]? chunk = null;
        foreach (SafeTensorsEntry entry in SafeTensorsHeader.ByOffset(parsed.Entries))
        {
            var data = new float[entry.ElementCount];
            if (entry.DType == SafeTensorsDType.F32)
                ReadF32(stream, data, file);
            else
                ReadHalfWidth(stream, entry.DType, data, chunk ??= new byte[ChunkBytes], file);
            tensors.Add(entry.Name, Tensor.FromArray(data, entry.Shape));
        }
        string[] names = [.. parsed.Entries.Select(e => e.Name)];
        return new SafeTensorsFile(file, names, tensors, parsed.Metadata);
    }

    private static void ReadF32(Stream stream, float[] data, string file)
    {
        // In slices, because a span of more than int.MaxValue bytes cannot exist.
        for (int start = 0; start < data.Length; start += ChunkBytes)
        {
            Span<float> slice = data.AsSpan(start, Math.Min(ChunkBytes, data.Length - start));
            ReadExactly(stream, MemoryMarshal.AsBytes(slice), file);
            if (!BitConverter.IsLittleEndian)
            {
                Span<int> bits = MemoryMarshal.Cast<float, int>(slice);
                BinaryPrimitives.ReverseEndianness(bits, bits);
            }
        }
    }

    /// <summary>F16 via <see cref="Half"/> and BF16 as the upper half of a float32; both exact.</summary>
    private static void ReadHalfWidth(Stream stream, SafeTensorsDType dtype, float[] data, byte[] chunk, string file)
    {
        for (int start = 0; start < data.Length; start += chunk.Length / 2)
        {
            int count = Math.Min(chunk.Length / 2, data.Length - start);
            Span<byte> bytes = chunk.AsSpan(0, 2 * count);
            ReadExactly(stream, bytes, file);
            Span<float> destination = data.AsSpan(start, count);
            for (int i = 0; i < count; i++)
            {
                ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
                destination[i] = dtype == SafeTensorsDType.F16
                    ? (float)BitConverter.UInt16BitsToHalf(bits)
                    : BitConverter.Int32BitsToSingle(bits << 16);
            }
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string file)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new RecurrentDataException($"{file}: the file ended before its declared length; it was truncated or rewritten while being read. Read it again once no other program writes it.", e);
        }
    }
}
