// Damaged and hostile safetensors files: each must fail with a RecurrentDataException that names the file
// and says what was wrong; none may crash, hang, allocate what the file cannot back, or return wrong data.
using System.Text;
using Recurrent.Interop;
using static Recurrent.Tests.Interop.SafeTensorsBytes;

namespace Recurrent.Tests.Interop;

public sealed class SafeTensorsHostileTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Entry(string name, string dtype, string shape, string offsets) =>
        $$$"""{"{{{name}}}":{"dtype":"{{{dtype}}}","shape":{{{shape}}},"data_offsets":{{{offsets}}}}}""";

    private static byte[] Header(string json, int dataBytes = 0) => File(json, new byte[dataBytes]);

    public static TheoryData<string, byte[], string> HostileFiles() => new()
    {
        { "empty file", [], "has 0 bytes, expected at least 8" },
        { "seven bytes", [1, 0, 0, 0, 0, 0, 0], "has 7 bytes, expected at least 8" },
        { "header length 0", WithLength(0, [1, 2, 3]), "header length is 0" },
        { "header longer than the file", WithLength(1000, "{}"u8.ToArray()), "header length is 1000 bytes, but only 2 bytes follow" },
        { "header over the limit", WithLength(200_000_000, "{}"u8.ToArray()), "more than the 100000000-byte limit" },
        { "header length 2^64 - 1", WithLength(ulong.MaxValue, "{}"u8.ToArray()), "more than the 100000000-byte limit" },
        { "invalid UTF-8", File([.. "{\"a"u8, 0xFF, .. "\":{}}"u8], []), "not valid UTF-8 (byte 0xFF at header offset 3)" },
        { "overlong UTF-8", File([.. "{\"a"u8, 0xC0, 0xAF, .. "\":{}}"u8], []), "not valid UTF-8" },
        { "truncated JSON", Header("""{"a":"""), "not valid JSON" },
        { "JSON followed by garbage", Header("{} x"), "not valid JSON" },
        { "deeply nested JSON", Header(new string('[', 5000) + new string(']', 5000)), "not valid JSON" },
        { "escaped lone surrogate in a name", Header("""{"\ud800":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4), "unpaired UTF-16 surrogate" },
        { "escaped lone surrogate in metadata", Header("""{"__metadata__":{"k":"\udc00x"}}"""), "unpaired UTF-16 surrogate" },
        { "escaped lone surrogate in a field name", Header("""{"w":{"\ud83d":1,"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4), "unpaired UTF-16 surrogate" },
        { "JSON array", Header("[1, 2]"), "header is a JSON array, expected an object" },
        { "JSON string", Header("\"abc\""), "header is a JSON string, expected an object" },
        { "JSON number", Header("12345678"), "header is a JSON number, expected an object" },
        { "entry not an object", Header("""{"w":5}"""), "tensor 'w' is a JSON number, expected an object" },
        { "missing dtype", Header("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", 4), "tensor 'w' has nothing for \"dtype\"" },
        { "missing shape", Header("""{"w":{"dtype":"F32","data_offsets":[0,4]}}""", 4), "tensor 'w' has nothing for \"shape\"" },
        { "missing data_offsets", Header("""{"w":{"dtype":"F32","shape":[1]}}""", 4), "tensor 'w' has nothing for \"data_offsets\"" },
        { "dtype a number", Header("""{"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}""", 4), "tensor 'w' has a JSON number for \"dtype\"" },
        { "shape a string", Header(Entry("w", "F32", "\"[1]\"", "[0,4]"), 4), "tensor 'w' has a JSON string for \"shape\"" },
        { "shape null", Header(Entry("w", "F32", "null", "[0,4]"), 4), "tensor 'w' has a JSON null for \"shape\"" },
        { "data_offsets an object", Header(Entry("w", "F32", "[1]", """{"begin":0}"""), 4), "tensor 'w' has a JSON object for \"data_offsets\"" },
        { "three data_offsets", Header(Entry("w", "F32", "[1]", "[0,4,4]"), 4), "a JSON array of 3 values for \"data_offsets\", expected an array of two whole numbers" },
        { "one data_offset", Header(Entry("w", "F32", "[1]", "[4]"), 4), "a JSON array of 1 values for \"data_offsets\"" },
        { "negative dimension", Header(Entry("w", "F32", "[2,-1]", "[0,4]"), 4), "tensor 'w' has -1 (negative) for dimension 1 of \"shape\"" },
        { "fractional dimension", Header(Entry("w", "F32", "[2.5]", "[0,10]"), 10), "tensor 'w' has 2.5 (not a whole number" },
        { "exponent dimension", Header(Entry("w", "F32", "[1e2]", "[0,400]"), 400), "1e2 (not a whole number" },
        { "string dimension", Header(Entry("w", "F32", "[\"2\"]", "[0,8]"), 8), "a JSON string for dimension 0" },
        { "dimension past 2^64", Header(Entry("w", "F32", "[18446744073709551616]", "[0,4]"), 4), "18446744073709551616 (not a whole number that fits 64 bits)" },
        { "element count overflow", Header(Entry("w", "F32", "[4294967296,4294967296,2]", "[0,0]")), "element count overflows 64 bits" },
        { "more elements than a tensor holds", Header(Entry("w", "F32", "[3000000000]", "[0,12000000000]")), "more than a Tensor holds" },
        { "huge dimension beside a zero", Header(Entry("w", "F32", "[0,3000000000]", "[0,0]")), "more than a Tensor holds" },
        { "offsets past the data", Header(Entry("w", "F32", "[500000000]", "[0,2000000000]"), 4), "tensor 'w' has data_offsets [0, 2000000000], but the data section holds only 4 bytes" },
        { "negative begin", Header(Entry("w", "F32", "[1]", "[-4,0]"), 4), "-4 (negative) for data_offsets begin" },
        { "fractional end", Header(Entry("w", "F32", "[1]", "[0,4.0]"), 4), "4.0 (not a whole number" },
        { "begin after end", Header(Entry("w", "F32", "[1]", "[4,0]"), 4), "data_offsets [4, 0], expected begin ≤ end" },
        { "byte count mismatch F32", Header(Entry("w", "F32", "[2]", "[0,4]"), 4), "tensor 'w' has shape [2] and dtype F32, so it needs 8 bytes, but its data_offsets [0, 4] span 4" },
        { "byte count mismatch F16", Header(Entry("w", "F16", "[2]", "[0,8]"), 8), "dtype F16, so it needs 4 bytes" },
        { "overlapping tensors", Header("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "tensor 'b' (bytes [4, 12)) overlaps tensor 'a' (bytes [0, 8))" },
        { "empty tensor inside another", Header("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}""", 8), "tensor 'e' (bytes [4, 4)) overlaps tensor 'a'" },
        { "same range twice", Header("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4), "overlaps" },
        { "hole between tensors", Header("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12), "bytes [4, 8) of the data section belong to no tensor (a hole before tensor 'b')" },
        { "hole at the start", Header(Entry("w", "F32", "[1]", "[4,8]"), 8), "bytes [0, 4) of the data section belong to no tensor" },
        { "trailing bytes", Header(Entry("w", "F32", "[1]", "[0,4]"), 8), "the data section holds 8 bytes but the tensors cover only the first 4" },
        { "data but no tensors", Header("{}", 4), "holds 4 bytes but the tensors cover only the first 0" },
        { "duplicate names", Header("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "lists tensor 'a' more than once" },
        { "duplicate names, one escaped", Header("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), "lists tensor 'a' more than once" },
        { "metadata key escaped as another's twin", Header("""{"__metadata__":{"k":"1","\u006b":"2"}}"""), "lists key 'k' more than once" },
        { "__metadata__ spelled with an escape, twice", Header("""{"__metadata__":{},"__metadat\u0061__":{}}"""), "lists \"__metadata__\" more than once" },
        { "duplicate field", Header("""{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}""", 4), "tensor 'w' has field \"dtype\" more than once" },
        { "metadata a string", Header("""{"__metadata__":"pt"}"""), "\"__metadata__\" is a JSON string, expected an object" },
        { "metadata value a number", Header("""{"__metadata__":{"epoch":3}}"""), "key 'epoch' holds a JSON number, expected a string" },
        { "metadata value null", Header("""{"__metadata__":{"format":null}}"""), "key 'format' holds a JSON null" },
        { "metadata key twice", Header("""{"__metadata__":{"k":"1","k":"2"}}"""), "lists key 'k' more than once" },
        { "metadata twice", Header("""{"__metadata__":{},"__metadata__":{}}"""), "lists \"__metadata__\" more than once" },
        { "F64 tensor", Header(Entry("w", "F64", "[1]", "[0,8]"), 8), "tensor 'w' has dtype F64, which is not supported (supported: F32, F16 and BF16)" },
        { "I64 tensor", Header(Entry("step", "I64", "[]", "[0,8]"), 8), "tensor 'step' has dtype I64, which is not supported" },
        { "unknown dtype", Header(Entry("w", "Q4", "[1]", "[0,1]"), 1), "tensor 'w' has dtype Q4, which is not supported" },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void Read_HostileFile_ThrowsDataExceptionNamingFileAndProblem(string label, byte[] bytes, string expected)
    {
        string path = _folder.File(label.Replace(' ', '-') + ".safetensors");
        System.IO.File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<RecurrentDataException>(() => SafeTensors.Read(path));

        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Read_LongTensorName_IsShortenedInTheMessage()
    {
        string name = new('n', 10_000);
        string path = _folder.File("long-name.safetensors");
        System.IO.File.WriteAllBytes(path, Header(Entry(name, "F64", "[1]", "[0,8]"), 8));

        var e = Assert.Throws<RecurrentDataException>(() => SafeTensors.Read(path));

        Assert.Contains("(10000 characters)", e.Message);
        Assert.True(e.Message.Length < 1000, $"message has {e.Message.Length} characters");
    }

    /// <summary>A small valid file with metadata, F32, BF16 and rank-0 F16 tensors.</summary>
    private static byte[] SmallValidFile()
    {
        string header = """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},"s":{"dtype":"F16","shape":[],"data_offsets":[20,22]}}""";
        return File(header, [.. F32(1, 2, 3, 4), .. U16(0x3F80, 0x4000), .. U16(0x3C00)], pad: true);
    }

    [Fact]
    public void Read_FileTruncatedAtEveryByte_ThrowsDataException()
    {
        byte[] bytes = SmallValidFile();
        Assert.Equal(["w", "b", "s"], SafeTensorsReader.Read(new MemoryStream(bytes), "small.safetensors").Names);

        for (int length = 0; length < bytes.Length; length++)
        {
            var stream = new MemoryStream(bytes, 0, length);
            var e = Assert.Throws<RecurrentDataException>(() => SafeTensorsReader.Read(stream, "small.safetensors"));
            Assert.True(e.Message.StartsWith("small.safetensors: ", StringComparison.Ordinal), $"length {length}: {e.Message}");
        }
    }

    [Fact]
    public void Read_RandomlyCorruptedFiles_EitherReadOrThrowDataException()
    {
        byte[] valid = SmallValidFile();
        var random = new Random(31337);
        int read = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] bytes = (byte[])valid.Clone();
            int flips = random.Next(1, 4);
            for (int f = 0; f < flips; f++)
            {
                // Bias towards the length prefix and header, where the checks live.
                int at = random.Next(3) == 0 ? random.Next(bytes.Length) : random.Next(Math.Min(bytes.Length, 8 + 200));
                bytes[at] = random.Next(2) == 0 ? (byte)random.Next(256) : (byte)(bytes[at] ^ (1 << random.Next(8)));
            }
            try
            {
                SafeTensorsFile file = SafeTensorsReader.Read(new MemoryStream(bytes), "fuzz.safetensors");
                foreach (string name in file.Names) Assert.True(file[name].Length >= 0);
                read++;
            }
            catch (RecurrentDataException e)
            {
                Assert.StartsWith("fuzz.safetensors: ", e.Message);
            }
        }
        Assert.True(read > 0, "no corrupted file was readable; flips in the data section should leave some valid");
    }

    [Fact]
    public void Read_RandomBytes_ThrowDataException()
    {
        var random = new Random(4242);
        for (int trial = 0; trial < 500; trial++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            if (bytes.Length >= 8 && random.Next(2) == 0)
                BitConverter.TryWriteBytes(bytes, (ulong)random.Next(0, bytes.Length - 7));
            Assert.Throws<RecurrentDataException>(() => SafeTensorsReader.Read(new MemoryStream(bytes), "noise.safetensors"));
        }
    }

    /// <summary>A stream that claims more bytes than it has, like a file truncated while it is read.</summary>
    private sealed class ShrinkingStream(byte[] bytes, int missing) : MemoryStream(bytes)
    {
        public override long Length => base.Length + missing;
    }

    [Fact]
    public void Read_FileShorterThanItsLengthWhileReading_ThrowsDataException()
    {
        byte[] bytes = File(Entry("w", "BF16", "[8]", "[0,16]"), U16(1, 2, 3, 4, 5, 6));

        var e = Assert.Throws<RecurrentDataException>(() => SafeTensorsReader.Read(new ShrinkingStream(bytes, 4), "shrinking.safetensors"));

        Assert.Contains("shrinking.safetensors: the file ended before its declared length", e.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => SafeTensors.Read(_folder.File("absent.safetensors")));
    }

    [Fact]
    public void Read_HeaderWithMultiByteCharacters_ReportsTheByteOffsetOfTheBadByte()
    {
        byte[] header = [.. Encoding.UTF8.GetBytes("{\"é€\":"), 0x80, .. "{}}"u8];
        string path = _folder.File("bad-utf8.safetensors");
        System.IO.File.WriteAllBytes(path, File(header, []));

        var e = Assert.Throws<RecurrentDataException>(() => SafeTensors.Read(path));

        Assert.Contains("byte 0x80 at header offset 9", e.Message);
    }
}
