
namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRun.Invoke(args);

    [Fact]
    public void Help_ListsBench_AndExitsZero()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("bench", output);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("lots")]
    public void BenchGemm_BadThreads_ExitsTwoNamingTheOption(string value)
    {
        var (code, _, error) = Run("bench", "gemm", "--threads", value);
        Assert.Equal(2, code);
        Assert.Contains("--threads", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void UnknownCommand_ExitsTwo()
    {
        var (code, _, error) = Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", error);
    }
}
