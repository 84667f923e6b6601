// Reading and writing the safetensors format (huggingface/safetensors), the tensor file of the Hugging Face
// hub and of safetensors.torch.save_file:
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   UTF-8 JSON: {"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
//             offsets count from the first byte after the header; the writer pads N to a multiple of 8 with spaces
//   the rest  the data section: each tensor's elements, little-endian, row-major, ranges tiling the section
// Writes are atomic (temporary file in the same folder, flushed to disk, then renamed over the target).
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Recurrent.Tensors;

namespace Recurrent.Interop;

/// <summary>Reads and writes tensors in the safetensors format, compatible with <c>safetensors.torch</c>.</summary>
public static class SafeTensors
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> as F32, in the given order, replacing any
    /// existing file atomically: the data goes to a temporary file in the same folder, is flushed to disk,
    /// and is then renamed over <paramref name="path"/>. On failure the temporary file is removed and an
    /// existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Names and tensors (any shape, including rank 0 <c>[]</c> and empty); names unique and non-empty.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> map, e.g. <c>{"format": "pt"}</c>; omitted from the file when null or empty.</param>
    /// <exception cref="ArgumentException">A name is empty, repeated or <c>__metadata__</c>, a tensor or metadata value is null, or the path is empty.</exception>
    /// <exception cref="IOException">The file could not be written (the previous file, if any, is unchanged).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable (the previous file, if any, is unchanged).</exception>
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        byte[] header = BuildHeader(tensors, metadata);

        string temporary = $"{path}.tmp-{Random.Shared.Next():x8}";
        bool created = false, moved = false;
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                created = true;
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (KeyValuePair<string, Tensor> pair in tensors)
                    WriteF32(stream, pair.Value.Span);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            moved = true;
        }
        finally
        {
            if (created && !moved) DeleteTemporary(temporary);
        }
    }

    /// <summary>
    /// Reads every tensor of the safetensors file at <paramref name="path"/> as float32. F32 is read as is;
    /// F16 and BF16 are converted exactly. The file is checked in full against the format before use.
    /// </summary>
    /// <param name="path">The file to read.</param>
    /// <returns>The tensors in header order, and the metadata.</returns>
    /// <exception cref="RecurrentDataException">
    /// The file is not a well-formed safetensors file (the message names the file, the tensor where relevant,
    /// and expected vs actual), or a tensor has a dtype other than F32, F16 or BF16.
    /// </exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan);
        return SafeTensorsReader.Read(stream, path);
    }

    /// <summary>The padded JSON header, as safetensors writes it: compact, metadata first, tensors in order.</summary>
    internal static byte[] BuildHeader(IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names as UTF-8, as serde_json writes them.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (KeyValuePair<string, string> item in metadata)
                {
                    if (item.Value is null)
                        throw new ArgumentException($"SafeTensors.Write: metadata key '{item.Key}' has a null value; safetensors metadata maps strings to strings.", nameof(metadata));
                    if (!IsValidText(item.Key) || !IsValidText(item.Value))
                        throw new ArgumentException($"SafeTensors.Write: metadata key or value for '{item.Key}' has an unpaired UTF-16 surrogate, which UTF-8 JSON cannot hold; fix the string.", nameof(metadata));
                    json.WriteString(item.Key, item.Value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            for (int i = 0; i < tensors.Count; i++)
            {
                (string name, Tensor tensor) = tensors[i];
                CheckEntry(name, tensor, i, names);
                long end = offset + 4L * tensor.Length;
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int d in tensor.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }
            json.WriteEndObject();
        }
        // Spaces pad the header to a multiple of 8 so the data section starts aligned.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void CheckEntry(string name, Tensor tensor, int index, HashSet<string> names)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException($"SafeTensors.Write: tensor {index} has an empty name; give every tensor a unique, non-empty name.", "tensors");
        if (tensor is null)
            throw new ArgumentException($"SafeTensors.Write: tensor '{name}' (index {index}) is null; pass a tensor for every name.", "tensors");
        if (name == SafeTensorsHeader.MetadataKey)
            throw new ArgumentException($"SafeTensors.Write: tensor {index} is named '{name}', which the format reserves for metadata; rename the tensor.", "tensors");
        if (!IsValidText(name))
            throw new ArgumentException($"SafeTensors.Write: tensor name at index {index} has an unpaired UTF-16 surrogate, which UTF-8 JSON cannot hold; fix the name.", "tensors");
        if (!names.Add(name))
            throw new ArgumentException($"SafeTensors.Write: tensor name '{name}' (index {index}) appears more than once; names must be unique.", "tensors");
    }

    /// <summary>True when <paramref name="text"/> is well-formed UTF-16 (every surrogate paired).</summary>
    private static bool IsValidText(string text)
    {
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out _, out int consumed) != OperationStatus.Done) return false;
            i += consumed;
        }
        return true;
    }

    private static void WriteF32(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            // In slices, because a span of more than int.MaxValue bytes cannot exist.
            for (int start = 0; start < values.Length; start += 1 << 24)
                stream.Write(MemoryMarshal.AsBytes(values.Slice(start, Math.Min(1 << 24, values.Length - start))));
            return;
        }
        Span<byte> bytes = stackalloc byte[4];
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            stream.Write(bytes);
        }
    }

    private static void DeleteTemporary(string temporary)
    {
        // The write already failed and its exception is the one to report; a leftover temporary file is
        // harmless, so a failure to remove it must not replace that exception.
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
