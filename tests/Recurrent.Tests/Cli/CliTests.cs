
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

    [Theory]
    [InlineData(new[] { "lm", "train", "--steps", "99999999999" }, "--steps expects a whole number (at most 2,147,483,647); got '99999999999'.")]
    [InlineData(new[] { "lm", "train", "--steps", "1.5" }, "--steps expects a whole number (at most 2,147,483,647); got '1.5'.")]
    [InlineData(new[] { "lm", "train", "--lr", "fast" }, "--lr expects a number; got 'fast'.")]
    [InlineData(new[] { "lm", "sample", "--model", "m", "--seed", "-1" }, "--seed expects a whole number ≥ 0; got '-1'.")]
    public void ValueOfTheWrongType_ExitsTwoInTheUsersTerms(string[] args, string expected)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("rnn: " + expected, error);
        Assert.DoesNotContain("System.", error);
    }

    [Fact]
    public void UnknownCommand_ExitsTwo()
    {
        var (code, _, error) = Run("frobnicate");
        Assert.Equal(2, code);
        Assert.Contains("frobnicate", error);
    }
}
