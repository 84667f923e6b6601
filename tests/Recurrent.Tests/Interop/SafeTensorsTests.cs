// Safetensors round trips, half-width dtypes against hand-built files, and the exact layout that
// safetensors.torch.save_file produces. Hostile files are in SafeTensorsHostileTests, atomic writes in
// SafeTensorsAtomicWriteTests.
using System.Text;
using Recurrent.Interop;
using Recurrent.Tensors;
using static Recurrent.Tests.Interop.SafeTensorsBytes;

namespace Recurrent.Tests.Interop;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void RoundTrip_SpecialValuesRankZeroAndEmptyTensors_AreBitExact()
    {
        float[] special =
        [
            Bits(0x7FC00000), Bits(0x7FC00001), Bits(0xFFA5A5A5), Bits(0x7F800001), // quiet and signalling NaNs with payloads
            -0f, 0f, Bits(0x00000001), Bits(0x807FFFFF), // zeros and subnormals
            float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon,
        ];
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("special", Tensor.FromArray(special, 3, 4)),
            new("scalar", Tensor.FromArray([Bits(0xFFC0DEAD)])),
            new("empty", Tensor.Zeros(0)),
            new("empty.rows", Tensor.Zeros(3, 0, 2)),
            new("weight", Tensor.FromArray(TestData.Uniform(10, seed: 7), 2, 5)),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "π ≈ 3.14, \"quoted\", <tag> & \\" };
        string path = _folder.File("special.safetensors");

        SafeTensors.Write(path, tensors, metadata);
        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(tensors.Select(t => t.Key), file.Names);
        foreach ((string name, Tensor expected) in tensors)
        {
            Tensor actual = file[name];
            Assert.Equal(expected.ShapeText, actual.ShapeText);
            TestData.AssertBitIdentical(expected.Span, actual.Span, name);
        }
        Assert.Equal(0, file["scalar"].Rank);
        Assert.Equal(metadata.OrderBy(p => p.Key), file.Metadata.OrderBy(p => p.Key));
        Assert.Equal(path, file.Path);
    }

    [Fact]
    public void RoundTrip_NamesInAnyOrder_KeepTheWrittenOrder()
    {
        string[] names = ["z.last", "a.first", "m.middle", "B", "é.unicode", "a"];
        var tensors = names.Select((n, i) => new KeyValuePair<string, Tensor>(n, Tensor.FromArray([i], 1))).ToList();
        string path = _folder.File("order.safetensors");

        SafeTensors.Write(path, tensors);
        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(names, file.Names);
        for (int i = 0; i < names.Length; i++) Assert.Equal(i, file[names[i]][0]);
        Assert.Empty(file.Metadata);
        Assert.True(file.Contains("a"));
        Assert.False(file.Contains("A"));
        Assert.Throws<KeyNotFoundException>(() => file["missing"]);
    }

    [Fact]
    public void RoundTrip_RandomShapesAndBits_AreBitExact()
    {
        var random = new Random(20240611);
        for (int trial = 0; trial < 40; trial++)
        {
            int count = random.Next(0, 5);
            var tensors = new List<KeyValuePair<string, Tensor>>();
            for (int t = 0; t < count; t++)
            {
                int[] shape = [.. Enumerable.Range(0, random.Next(0, 4)).Select(_ => random.Next(0, 5))];
                Tensor tensor = Tensor.Zeros(shape);
                for (int i = 0; i < tensor.Length; i++) tensor[i] = Bits((uint)random.NextInt64(0, 1L << 32));
                tensors.Add(new($"t{trial}.{t}.{random.Next()}", tensor));
            }
            string path = _folder.File($"random{trial}.safetensors");

            SafeTensors.Write(path, tensors);
            SafeTensorsFile file = SafeTensors.Read(path);

            Assert.Equal(tensors.Select(t => t.Key), file.Names);
            foreach ((string name, Tensor expected) in tensors)
            {
                Assert.Equal(expected.ShapeText, file[name].ShapeText);
                TestData.AssertBitIdentical(expected.Span, file[name].Span, $"trial {trial}, {name}");
            }
            ulong headerLength = BitConverter.ToUInt64(System.IO.File.ReadAllBytes(path), 0);
            Assert.True(headerLength % 8 == 0, $"trial {trial}: header length {headerLength} is not a multiple of 8");
        }
    }

    [Fact]
    public void Read_F16File_ConvertsExactly()
    {
        ushort[] halves = [0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000, 0x7C00, 0x3555];
        float[] expected = [1f, -2f, 0.5f, 65504f, MathF.Pow(2, -24), -0f, float.PositiveInfinity, 0.333251953125f];
        string path = _folder.File("f16.safetensors");
        System.IO.File.WriteAllBytes(path, File("""{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},"nan":{"dtype":"F16","shape":[],"data_offsets":[16,18]}}""",
            [.. U16(halves), .. U16(0x7E00)]));

        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal("[2, 4]", file["h"].ShapeText);
        TestData.AssertBitIdentical(expected, file["h"].Span, "F16");
        Assert.Equal(0, file["nan"].Rank);
        Assert.True(float.IsNaN(file["nan"][0]));
    }

    [Fact]
    public void Read_BF16File_ConvertsExactly()
    {
        ushort[] brains = [0x3F80, 0xC000, 0x4049, 0x0001, 0x8000, 0x7F80, 0x7FC0, 0x4780];
        float[] expected = [1f, -2f, 3.140625f, Bits(0x00010000), -0f, float.PositiveInfinity, Bits(0x7FC00000), 65536f];
        string path = _folder.File("bf16.safetensors");
        System.IO.File.WriteAllBytes(path, File("""{"b":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]}}""", U16(brains)));

        SafeTensorsFile file = SafeTensors.Read(path);

        TestData.AssertBitIdentical(expected, file["b"].Span, "BF16");
    }

    [Fact]
    public void Read_MixedDTypesInOneFile_ConvertsEachTensor()
    {
        string path = _folder.File("mixed.safetensors");
        string header = """{"f32":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"bf16":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},"f16":{"dtype":"F16","shape":[1,2],"data_offsets":[12,16]}}""";
        System.IO.File.WriteAllBytes(path, File(header, [.. F32(1.5f, -7f), .. U16(0x4040, 0xBF80), .. U16(0x4200, 0xBC00)], pad: true));

        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(["f32", "bf16", "f16"], file.Names);
        Assert.Equal([1.5f, -7f], file["f32"].Span.ToArray());
        Assert.Equal([3f, -1f], file["bf16"].Span.ToArray());
        Assert.Equal([3f, -1f], file["f16"].Span.ToArray());
    }

    /// <summary>
    /// The bytes safetensors.torch.save_file(model.state_dict(), path, metadata={"format": "pt"}) writes for a
    /// one-layer LSTM (input 3, hidden 2): compact JSON, "__metadata__" first, tensors sorted by name (all F32),
    /// each entry's fields in the order dtype, shape, data_offsets, the header padded to 320 bytes with spaces.
    /// </summary>
    private static byte[] PyTorchLstmFile()
    {
        const string header = """{"__metadata__":{"format":"pt"},"lstm.bias_hh_l0":{"dtype":"F32","shape":[8],"data_offsets":[0,32]},"lstm.bias_ih_l0":{"dtype":"F32","shape":[8],"data_offsets":[32,64]},"lstm.weight_hh_l0":{"dtype":"F32","shape":[8,2],"data_offsets":[64,128]},"lstm.weight_ih_l0":{"dtype":"F32","shape":[8,3],"data_offsets":[128,224]}}""";
        Assert.Equal(318, Encoding.UTF8.GetByteCount(header));
        var bytes = new List<byte> { 0x40, 0x01, 0, 0, 0, 0, 0, 0 }; // 320, little-endian
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange("  "u8.ToArray());
        bytes.AddRange(F32(PyTorchValues(8, 0)));
        bytes.AddRange(F32(PyTorchValues(8, 100)));
        bytes.AddRange(F32(PyTorchValues(16, 200)));
        bytes.AddRange(F32(PyTorchValues(24, 300)));
        return [.. bytes];
    }

    private static float[] PyTorchValues(int count, int start) => [.. Enumerable.Range(start, count).Select(i => i * 0.25f - 10f)];

    [Fact]
    public void Read_FileInPyTorchLayout_ReadsNamesShapesValuesAndMetadata()
    {
        string path = _folder.File("lstm.safetensors");
        System.IO.File.WriteAllBytes(path, PyTorchLstmFile());

        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Equal(["lstm.bias_hh_l0", "lstm.bias_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l0"], file.Names);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("[8, 3]", file["lstm.weight_ih_l0"].ShapeText);
        Assert.Equal(PyTorchValues(24, 300), file["lstm.weight_ih_l0"].Span.ToArray());
        Assert.Equal(PyTorchValues(16, 200), file["lstm.weight_hh_l0"].Span.ToArray());
        Assert.Equal(PyTorchValues(8, 0), file["lstm.bias_hh_l0"].Span.ToArray());
    }

    [Fact]
    public void Write_TensorsInPyTorchOrder_ProducesTheSameBytesAsSafetensors()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("lstm.bias_hh_l0", Tensor.FromArray(PyTorchValues(8, 0), 8)),
            new("lstm.bias_ih_l0", Tensor.FromArray(PyTorchValues(8, 100), 8)),
            new("lstm.weight_hh_l0", Tensor.FromArray(PyTorchValues(16, 200), 8, 2)),
            new("lstm.weight_ih_l0", Tensor.FromArray(PyTorchValues(24, 300), 8, 3)),
        };
        string path = _folder.File("ours.safetensors");

        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });

        Assert.Equal(PyTorchLstmFile(), System.IO.File.ReadAllBytes(path));
    }

    [Fact]
    public void Read_HeaderWithExtraWhitespaceAndUnknownFields_IsAccepted()
    {
        string path = _folder.File("loose.safetensors");
        string header = "{ \"w\" : { \"shape\" : [ 2 ] , \"extra\": {\"x\": [1]}, \"data_offsets\" : [ 0 , 8 ], \"dtype\" : \"F32\" } }\n\t";
        System.IO.File.WriteAllBytes(path, File(header, F32(1, 2)));

        Assert.Equal([1f, 2f], SafeTensors.Read(path)["w"].Span.ToArray());
    }
}
