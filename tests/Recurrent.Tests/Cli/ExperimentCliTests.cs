namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class ExperimentCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-expcli-" + Guid.NewGuid().ToString("N"));

    public ExperimentCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static void AssertFiles(string dir, params string[] files)
    {
        foreach (string file in files)
            Assert.True(File.Exists(Path.Combine(dir, file)) && new FileInfo(Path.Combine(dir, file)).Length > 0, $"{file} missing or empty in {dir}");
        Assert.Empty(Directory.GetFiles(dir, ".*")); // no temporary files left behind
    }

    [Fact]
    public void GradientFlow_WritesCsvPlotsAndTheSpectrumTable()
    {
        string dir = Path.Combine(_root, "gf");
        var (code, output, error) = CliRun.Invoke("experiment", "gradient-flow", "--cell", "rnn,lstm", "--scale", "0.5,1.5", "--length", "12", "--hidden", "6", "--steps", "3", "--out", dir);
        Assert.True(code == 0, error);
        AssertFiles(dir, "gradient-flow.csv", "spectra.csv", "gradient-flow-rnn.png", "gradient-flow-lstm.png");
        string[] rows = File.ReadAllLines(Path.Combine(dir, "gradient-flow.csv"));
        Assert.Equal("cell,scale,phase,distance,grad_norm", rows[0]);
        Assert.Equal(1 + 2 * 2 * 2 * 12, rows.Length); // cells × scales × (init, trained) × distances
        Assert.Contains("spectral_radius", output);
        Assert.Contains("rnn,0.5,init,0.5000,", File.ReadAllText(Path.Combine(dir, "spectra.csv")));
    }

    [Fact]
    public void LongRange_PrintsTheTable_AndWritesCsvAndPlot()
    {
        string dir = Path.Combine(_root, "lr");
        var (code, output, error) = CliRun.Invoke("experiment", "long-range", "--task", "temporal-order", "--length", "10,12", "--cells", "gru", "--steps", "4", "--hidden", "4", "--out", dir);
        Assert.True(code == 0, error);
        AssertFiles(dir, "long-range.csv", "long-range-curves.csv", "long-range.png");
        string[] rows = File.ReadAllLines(Path.Combine(dir, "long-range.csv"));
        Assert.Equal("task,length,cell,error_rate,baseline,error/baseline,solved,steps", rows[0]);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("temporal-order,10,gru,", rows[1]);
        Assert.Contains("baseline", output);
    }

    [Fact]
    public void Clipping_WritesBothRunsSideBySide()
    {
        string dir = Path.Combine(_root, "clip");
        var (code, output, error) = CliRun.Invoke("experiment", "clipping", "--steps", "12", "--length", "30", "--out", dir);
        Assert.True(code == 0, error);
        AssertFiles(dir, "clipping.csv", "clipping.png");
        string[] rows = File.ReadAllLines(Path.Combine(dir, "clipping.csv"));
        Assert.Equal("step,loss_unclipped,grad_norm_unclipped,loss_clipped,grad_norm_clipped", rows[0]);
        Assert.Equal(13, rows.Length);
        Assert.Contains("no clipping", output);
    }

    [Theory]
    [InlineData("--out-is-taken", "--out")]
    [InlineData("gradient-flow --scale 0.5,-1", "--scale")]
    [InlineData("gradient-flow --cell lstm,tree", "--cell")]
    [InlineData("gradient-flow --length 1", "--length")]
    [InlineData("long-range --task sorting", "--task")]
    [InlineData("long-range --task temporal-order --length 5", "--length")]
    [InlineData("long-range --cells rnn --lr 0", "--lr")]
    [InlineData("clipping --cell rnn,lstm", "--cell")]
    [InlineData("clipping --hidden zero", "--hidden")]
    public void BadOptions_ExitWithTwo_NamingTheOption(string args, string option)
    {
        string dir = Path.Combine(_root, "bad");
        string[] argv;
        if (args == "--out-is-taken")
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "clipping.csv"), "mine");
            argv = ["experiment", "clipping", "--steps", "2", "--out", dir];
        }
        else argv = ["experiment", .. args.Split(' '), "--steps", "1", "--out", dir];
        var (code, _, error) = CliRun.Invoke(argv);
        Assert.True(code == 2, $"exit {code}: {error}");
        Assert.Contains(option, error);
        Assert.DoesNotContain("   at ", error);
        if (args == "--out-is-taken") Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "clipping.csv")));
        else Assert.False(Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any(), "a bad option must not write anything");
    }
}
