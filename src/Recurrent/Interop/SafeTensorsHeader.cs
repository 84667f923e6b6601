// Parses and checks the JSON header of a safetensors file, treating every byte as hostile.
// The header maps tensor name → {"dtype", "shape", "data_offsets": [begin, end]} with offsets relative to
// the data section (the bytes after the header), plus an optional "__metadata__" string → string map.
// Checks follow the reference implementation (huggingface/safetensors, Metadata::validate): every range
// lies inside the data section, holds exactly elements × dtype size bytes, and the ranges, sorted by
// offset, cover the data section with no hole and no overlap. Every failure names the file.
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Recurrent.Interop;

/// <summary>One tensor as the header describes it; Begin and End are data-section byte offsets.</summary>
internal sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, int[] Shape, int ElementCount, long Begin, long End);

/// <summary>A checked header: entries in file order and the metadata map.</summary>
internal sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The key that holds the metadata map instead of a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>The largest header accepted, as in the reference implementation (guards against header bombs).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Parses <paramref name="header"/> and checks it against a data section of <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="RecurrentDataException">The header is malformed or inconsistent.</exception>
    public static SafeTensorsHeader Parse(ReadOnlyMemory<byte> header, long dataLength, string file)
    {
        CheckUtf8(header.Span, file);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new RecurrentDataException($"{file}: the safetensors header is not valid JSON ({e.Message}); the file is damaged or not a safetensors file.", e);
        }
        using (document)
        {
            CheckEscapedStrings(header.Span, file);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new RecurrentDataException($"{file}: the safetensors header is a JSON {Kind(root)}, expected an object mapping tensor names to entries; the file is damaged or not a safetensors file.");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new RecurrentDataException($"{file}: the header lists {(property.Name == MetadataKey ? $"\"{MetadataKey}\"" : Quote(property.Name))} more than once; each name may appear once. The file is damaged.");
                if (property.Name == MetadataKey)
                    ReadMetadata(property.Value, metadata, file);
                else
                    entries.Add(ReadEntry(property.Name, property.Value, dataLength, file));
            }
            CheckCoverage(entries, dataLength, file);
            return new SafeTensorsHeader(entries, metadata);
        }
    }

    /// <summary>The entries sorted by data offset (empty tensors before a tensor starting at the same offset).</summary>
    public static SafeTensorsEntry[] ByOffset(IReadOnlyList<SafeTensorsEntry> entries)
        // OrderBy is stable: equal ranges keep file order, so messages are deterministic.
        => [.. entries.OrderBy(e => e.Begin).ThenBy(e => e.End)];

    /// <summary>A tensor name for a message: quoted, and cut short if long.</summary>
    public static string Quote(string name) =>
        name.Length <= 80 ? $"tensor '{name}'" : $"tensor '{name[..80]}…' ({name.Length} characters)";

    private static void CheckUtf8(ReadOnlySpan<byte> bytes, string file)
    {
        if (Utf8.IsValid(bytes)) return;
        int offset = 0;
        while (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) == System.Buffers.OperationStatus.Done)
            offset += consumed;
        throw new RecurrentDataException($"{file}: the safetensors header is not valid UTF-8 (byte 0x{bytes[offset]:X2} at header offset {offset}); the file is damaged or not a safetensors file.");
    }

    /// <summary>
    /// Valid UTF-8 can still spell an unpaired surrogate as an escape ("\ud800"), which is not Unicode text;
    /// reject it here so reading names and strings later cannot fail.
    /// </summary>
    private static void CheckEscapedStrings(ReadOnlySpan<byte> header, string file)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 64 });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            try
            {
                _ = reader.GetString();
            }
            catch (InvalidOperationException e)
            {
                throw new RecurrentDataException($"{file}: the safetensors header has a string at header offset {reader.TokenStartIndex} whose escapes spell an unpaired UTF-16 surrogate, which is not valid text; the file is damaged.", e);
            }
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string file)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new RecurrentDataException($"{file}: \"{MetadataKey}\" is a JSON {Kind(value)}, expected an object of string values; the file is damaged.");
        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new RecurrentDataException($"{file}: \"{MetadataKey}\" key '{Cut(item.Name)}' holds a JSON {Kind(item.Value)}, expected a string; safetensors metadata maps strings to strings. The file is damaged.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new RecurrentDataException($"{file}: \"{MetadataKey}\" lists key '{Cut(item.Name)}' more than once; each key may appear once. The file is damaged.");
        }
    }

    private static SafeTensorsEntry ReadEntry(string name, JsonElement value, long dataLength, string file)
    {
        string where = $"{file}: {Quote(name)}";
        if (value.ValueKind != JsonValueKind.Object)
            throw new RecurrentDataException($"{where} is a JSON {Kind(value)}, expected an object with \"dtype\", \"shape\" and \"data_offsets\"; the file is damaged.");
        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (JsonProperty field in value.EnumerateObject())
        {
            // Unknown fields are ignored, as in the reference reader; known fields must appear once.
            switch (field.Name)
            {
                case "dtype": dtypeValue = Once(dtypeValue, field, where); break;
                case "shape": shapeValue = Once(shapeValue, field, where); break;
                case "data_offsets": offsetsValue = Once(offsetsValue, field, where); break;
            }
        }
        SafeTensorsDType dtype = ReadDType(dtypeValue, where);
        int[] shape = ReadShape(shapeValue, where, out int elementCount);
        (long begin, long end) = ReadOffsets(offsetsValue, dataLength, where);
        long expectedBytes = (long)elementCount * SafeTensorsDTypes.Size(dtype);
        if (end - begin != expectedBytes)
            throw new RecurrentDataException($"{where} has shape [{string.Join(", ", shape)}] and dtype {dtype}, so it needs {expectedBytes} bytes, but its data_offsets [{begin}, {end}] span {end - begin}; the file is damaged.");
        return new SafeTensorsEntry(name, dtype, shape, elementCount, begin, end);
    }

    private static JsonElement Once(JsonElement? current, JsonProperty field, string where) =>
        current is null ? field.Value
            : throw new RecurrentDataException($"{where} has field \"{field.Name}\" more than once; the file is damaged.");

    private static SafeTensorsDType ReadDType(JsonElement? value, string where)
    {
        if (value is not { ValueKind: JsonValueKind.String } text)
            throw new RecurrentDataException($"{where} has {Describe(value)} for \"dtype\", expected a string such as \"F32\"; the file is damaged.");
        string dtype = text.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtype, out SafeTensorsDType parsed))
            throw new RecurrentDataException($"{where} has dtype {Cut(dtype)}, which is not supported (supported: {SafeTensorsDTypes.SupportedText}); convert the tensor to float32 before saving, e.g. tensor.float() in PyTorch.");
        return parsed;
    }

    private static int[] ReadShape(JsonElement? value, string where, out int elementCount)
    {
        if (value is not { ValueKind: JsonValueKind.Array } array)
            throw new RecurrentDataException($"{where} has {Describe(value)} for \"shape\", expected an array of whole numbers ≥ 0; the file is damaged.");
        var dims = new ulong[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            dims[i] = ReadCount(item, $"dimension {i} of \"shape\"", where);
            i++;
        }
        string shapeText = $"[{string.Join(", ", dims)}]";
        bool anyZero = dims.Contains(0UL);
        ulong product = anyZero ? 0UL : 1UL;
        if (!anyZero)
            foreach (ulong d in dims)
            {
                if (product > ulong.MaxValue / d)
                    throw new RecurrentDataException($"{where} has shape {shapeText}, whose element count overflows 64 bits; the file is damaged.");
                product *= d;
            }
        if (product > (ulong)Array.MaxLength || dims.Any(d => d > int.MaxValue))
            throw new RecurrentDataException($"{where} has shape {shapeText}, more than a Tensor holds (at most {Array.MaxLength} elements, each dimension at most {int.MaxValue}); split the tensor before saving.");
        elementCount = (int)product;
        return [.. dims.Select(d => (int)d)];
    }

    private static (long Begin, long End) ReadOffsets(JsonElement? value, long dataLength, string where)
    {
        if (value is not { ValueKind: JsonValueKind.Array } array || array.GetArrayLength() != 2)
            throw new RecurrentDataException($"{where} has {Describe(value)} for \"data_offsets\", expected an array of two whole numbers [begin, end]; the file is damaged.");
        ulong begin = ReadCount(array[0], "data_offsets begin", where);
        ulong end = ReadCount(array[1], "data_offsets end", where);
        if (begin > end)
            throw new RecurrentDataException($"{where} has data_offsets [{begin}, {end}], expected begin ≤ end; the file is damaged.");
        if (end > (ulong)dataLength)
            throw new RecurrentDataException($"{where} has data_offsets [{begin}, {end}], but the data section holds only {dataLength} bytes; the file is truncated or damaged.");
        return ((long)begin, (long)end);
    }

    private static ulong ReadCount(JsonElement item, string what, string where)
    {
        if (item.ValueKind == JsonValueKind.Number && item.TryGetUInt64(out ulong n)) return n;
        string actual = item.ValueKind != JsonValueKind.Number ? $"a JSON {Kind(item)}"
            : item.TryGetInt64(out long negative) && negative < 0 ? $"{negative} (negative)"
            : $"{Cut(item.GetRawText())} (not a whole number that fits 64 bits)";
        throw new RecurrentDataException($"{where} has {actual} for {what}, expected a whole number ≥ 0; the file is damaged.");
    }

    private static void CheckCoverage(IReadOnlyList<SafeTensorsEntry> entries, long dataLength, string file)
    {
        SafeTensorsEntry? previous = null;
        long covered = 0;
        foreach (SafeTensorsEntry entry in ByOffset(entries))
        {
            if (entry.Begin < covered)
                throw new RecurrentDataException($"{file}: {Quote(entry.Name)} (bytes [{entry.Begin}, {entry.End})) overlaps {Quote(previous!.Name)} (bytes [{previous.Begin}, {previous.End})); tensors must not share bytes. The file is damaged.");
            if (entry.Begin > covered)
                throw new RecurrentDataException($"{file}: bytes [{covered}, {entry.Begin}) of the data section belong to no tensor (a hole before {Quote(entry.Name)}); tensors must cover the data section exactly. The file is damaged.");
            covered = entry.End;
            previous = entry;
        }
        if (covered != dataLength)
            throw new RecurrentDataException($"{file}: the data section holds {dataLength} bytes but the tensors cover only the first {covered}; tensors must cover it exactly. The file is damaged or has trailing bytes.");
    }

    private static string Describe(JsonElement? value) => value switch
    {
        null => "nothing",
        { ValueKind: JsonValueKind.Array } array => $"a JSON array of {array.GetArrayLength()} values",
        { } v => $"a JSON {Kind(v)}",
    };

    private static string Kind(JsonElement value) => value.ValueKind.ToString().ToLowerInvariant();

    private static string Cut(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
