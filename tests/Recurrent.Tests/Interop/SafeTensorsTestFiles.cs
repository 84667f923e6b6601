// Helpers for the safetensors tests: a scratch folder removed after each test, and byte-level builders
// for hand-made files (length prefix, header JSON, data section).
using System.Buffers.Binary;
using System.Text;

namespace Recurrent.Tests.Interop;

/// <summary>A fresh folder under the system temp folder, deleted (permissions restored first) on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("recurrent-safetensors-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string[] Entries() => [.. Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order()!];

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            System.IO.File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Builds safetensors bytes by hand.</summary>
internal static class SafeTensorsBytes
{
    /// <summary>8-byte little-endian length, the header as UTF-8 (padded with spaces to a multiple of 8 if asked), then the data.</summary>
    public static byte[] File(string headerJson, byte[] data, bool pad = false) => File(Encoding.UTF8.GetBytes(headerJson), data, pad);

    public static byte[] File(byte[] header, byte[] data, bool pad = false)
    {
        int headerLength = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var bytes = new byte[8 + headerLength + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerLength);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, headerLength - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + headerLength);
        return bytes;
    }

    /// <summary>Only a length prefix followed by <paramref name="rest"/>.</summary>
    public static byte[] WithLength(ulong headerLength, byte[] rest)
    {
        var bytes = new byte[8 + rest.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength);
        rest.CopyTo(bytes, 8);
        return bytes;
    }

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    public static byte[] U16(params ushort[] values)
    {
        var bytes = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        return bytes;
    }

    /// <summary>A float from its IEEE bits, so tests can name NaN payloads and subnormals exactly.</summary>
    public static float Bits(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    public static uint BitsOf(float value) => BitConverter.SingleToUInt32Bits(value);
}
