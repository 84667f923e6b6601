using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class PairReaderTests
{
    [Fact]
    public void Tsv_ReadsPairs_IgnoresExtraColumns_AndGroupsAlternatives()
    {
        var pairs = PairReader.Parse("Go.\tVa !\tCC-BY 2.0 (France) Attribution\nHi.\tSalut !|Salut.\n\nGo.\tMarche.\n", "pairs.tsv", PairFormat.Tsv);
        Assert.Equal(2, pairs.Count);
        Assert.Equal("Go.", pairs[0].Source);
        Assert.Equal(["Va !", "Marche."], pairs[0].Targets);
        Assert.Equal(["Salut !", "Salut."], pairs[1].Targets);
        Assert.Equal("pairs.tsv:2", pairs[1].Origin);
    }

    [Theory]
    [InlineData("a\tb\nno tab here\n", "pairs.tsv: line 2 has no tab")]
    [InlineData("a\tb\n\tb\n", "pairs.tsv: line 2 has an empty source")]
    [InlineData("a\tb||c\n", "pairs.tsv: line 1 has an empty target alternative")]
    [InlineData("\n\n", "pairs.tsv: no pairs found")]
    public void Tsv_BadLines_NameFileAndLine(string text, string expected)
    {
        var e = Assert.Throws<RecurrentDataException>(() => PairReader.Parse(text, "pairs.tsv", PairFormat.Tsv));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void CmuDict_GroupsAlternatesUnderTheHeadword_StripsStress_AndSkipsComments()
    {
        const string text = ";;; a comment line\nREAD  R IY1 D\nREAD(1)  R EH1 D\nRECORD  R EH1 K ER0 D # noun\nREAD(2)  R IY1 D\n";
        var kept = PairReader.Parse(text, "cmu.dict", PairFormat.CmuDict);
        Assert.Equal(["READ", "RECORD"], kept.Select(p => p.Source));
        Assert.Equal(["R IY1 D", "R EH1 D"], kept[0].Targets);
        Assert.Equal(["R EH1 K ER0 D"], kept[1].Targets);
        var stripped = PairReader.Parse(text, "cmu.dict", PairFormat.CmuDict, stripStress: true);
        Assert.Equal(["R IY D", "R EH D"], stripped[0].Targets);
        Assert.Equal(["R EH K ER D"], stripped[1].Targets);
    }

    [Fact]
    public void CmuDict_WordWithoutPhones_NamesFileAndLine()
    {
        var e = Assert.Throws<RecurrentDataException>(() => PairReader.Parse("A  AH0\nB\n", "cmu.dict", PairFormat.CmuDict));
        Assert.StartsWith("cmu.dict: line 2 has the word 'B' but no phones", e.Message);
    }

    [Fact]
    public void Read_MissingFile_NamesIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "recurrent-no-such-pairs-" + Guid.NewGuid().ToString("N") + ".tsv");
        var e = Assert.Throws<RecurrentDataException>(() => PairReader.Read(path, PairFormat.Tsv));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Split_IsSeeded_Disjoint_AndSizedByFraction()
    {
        var (train, valid, test) = PairReader.Split(1000, 0.05, 0.05, seed: 7);
        Assert.Equal(900, train.Length);
        Assert.Equal(50, valid.Length);
        Assert.Equal(50, test.Length);
        Assert.Equal(1000, train.Concat(valid).Concat(test).Distinct().Count());
        var again = PairReader.Split(1000, 0.05, 0.05, seed: 7);
        Assert.Equal(test, again.Test);
        Assert.NotEqual(test, PairReader.Split(1000, 0.05, 0.05, seed: 8).Test);
    }
}
