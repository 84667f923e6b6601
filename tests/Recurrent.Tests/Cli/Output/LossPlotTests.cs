using Recurrent.Cli.Output;

namespace Recurrent.Tests.Cli.Output;

public sealed class LossPlotTests : IDisposable
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly string _folder = Directory.CreateTempSubdirectory("recurrent-plot-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static List<(double, double)> Curve(int count, double every, double noise)
    {
        var random = new Random(7);
        return Enumerable.Range(1, count).Select(i => (i * every, 3 * Math.Exp(-i / (count / 4.0)) + 1 + noise * random.NextDouble())).ToList();
    }

    private static void AssertPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 5_000, $"{path}: {bytes.Length} bytes is too small for a 1000×600 plot");
        Assert.Equal(PngSignature, bytes[..8]);
        // IHDR: width and height, big-endian, at bytes 16…23.
        Assert.Equal(LossPlot.Width, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(LossPlot.Height, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    private void AssertOnlyFile(string name) =>
        Assert.Equal([name], Directory.GetFiles(_folder).Select(file => Path.GetFileName(file)).ToArray());

    [Fact]
    public void Save_WritesAPng_AndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "loss.png");
        LossPlot.Save(path, Curve(300, 10, 0.1), Curve(6, 500, 0), title: "lm");
        AssertPng(path);
        AssertOnlyFile("loss.png");
    }

    [Fact]
    public void Save_ReplacesAnExistingFile()
    {
        string path = Path.Combine(_folder, "loss.png");
        File.WriteAllText(path, "old");
        LossPlot.Save(path, Curve(50, 1, 0.1), []);
        AssertPng(path);
        AssertOnlyFile("loss.png");
    }

    [Fact]
    public void Save_SkipsNonFinitePoints_AndAcceptsEmptyCurves()
    {
        string path = Path.Combine(_folder, "loss.png");
        LossPlot.Save(path, [(1, 2.0), (2, double.NaN), (3, double.PositiveInfinity), (4, 1.5)], []);
        AssertPng(path);
        LossPlot.Save(path, [], []);
        AssertPng(path);
        AssertOnlyFile("loss.png");
    }

    [Fact]
    public void Save_CreatesTheFolder()
    {
        string path = Path.Combine(_folder, "run", "plots", "loss.png");
        LossPlot.Save(path, Curve(20, 1, 0), Curve(2, 10, 0));
        AssertPng(path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveLines_WritesAPng(bool logY)
    {
        string path = Path.Combine(_folder, "lines.png");
        IReadOnlyList<(double, double)> rnn = [(64, 2.1), (128, 1.8), (256, 1.7)];
        IReadOnlyList<(double, double)> lstm = [(64, 1.9), (128, 1.5), (256, 0)];
        LossPlot.SaveLines(path, "loss by hidden size", "hidden", "valid loss", [("rnn", rnn), ("lstm", lstm)], logY);
        AssertPng(path);
        AssertOnlyFile("lines.png");
    }

    [Fact]
    public void Save_EmptyPath_Throws() =>
        Assert.Throws<ArgumentException>(() => LossPlot.Save(" ", [], []));
}
