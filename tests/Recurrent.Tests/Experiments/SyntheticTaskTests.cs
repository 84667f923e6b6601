using Recurrent.Experiments;
using Recurrent.Tensors;

namespace Recurrent.Tests.Experiments;

public sealed class SyntheticTaskTests
{
    [Fact]
    public void Adding_MarksOneValueInEachHalf_TargetsTheirSum_AndPredictingOneScoresAboutOneSixth()
    {
        var task = new SyntheticTask(SyntheticTaskKind.Adding, 20);
        SyntheticBatch batch = task.Sample(new Rng(1), 4096);
        Assert.Equal([20, 4096, 2], batch.Inputs.Shape.ToArray());
        float[] x = batch.Inputs.Span.ToArray();
        double baseline = 0;
        for (int b = 0; b < 4096; b++)
        {
            var marked = Enumerable.Range(0, 20).Where(t => x[(t * 4096 + b) * 2 + 1] == 1f).ToArray();
            Assert.Equal(2, marked.Length);
            Assert.True(marked[0] < 10 && marked[1] >= 10, $"sequence {b}: markers at {marked[0]}, {marked[1]}; expected one in each half");
            float sum = x[(marked[0] * 4096 + b) * 2] + x[(marked[1] * 4096 + b) * 2];
            Assert.Equal(sum, batch.Values[b], 5);
            baseline += Math.Pow(batch.Values[b] - 1, 2);
        }
        Assert.InRange(baseline / 4096, 0.155, 0.178);
        Assert.Equal(1.0 / 6, task.TrivialBaseline, 10);
    }

    [Fact]
    public void TemporalOrder_ClassIsTheOrderOfTheTwoRelevantSymbols()
    {
        var task = new SyntheticTask(SyntheticTaskKind.TemporalOrder, 30);
        SyntheticBatch batch = task.Sample(new Rng(2), 200);
        float[] x = batch.Inputs.Span.ToArray();
        var seen = new HashSet<int>();
        for (int b = 0; b < 200; b++)
        {
            int Symbol(int t) => Enumerable.Range(0, 8).Single(f => x[(t * 200 + b) * 8 + f] == 1f);
            Assert.Equal(6, Symbol(0));
            Assert.Equal(7, Symbol(29));
            var relevant = Enumerable.Range(1, 28).Where(t => Symbol(t) is 4 or 5).ToArray();
            Assert.Equal(2, relevant.Length);
            Assert.InRange(relevant[0], 3, 6);
            Assert.InRange(relevant[1], 15, 18);
            Assert.Equal(2 * (Symbol(relevant[0]) - 4) + (Symbol(relevant[1]) - 4), batch.Classes[b]);
            seen.Add(batch.Classes[b]);
        }
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public void Copy_AsksForTheFirstSymbolsAfterTheGap_AndNothingElse()
    {
        const int gap = 6, k = SyntheticTask.CopySymbols, a = SyntheticTask.CopyAlphabet;
        var task = new SyntheticTask(SyntheticTaskKind.Copy, gap);
        Assert.Equal(gap + 2 * k, task.SequenceLength);
        SyntheticBatch batch = task.Sample(new Rng(3), 16);
        float[] x = batch.Inputs.Span.ToArray();
        int t = task.SequenceLength, features = a + 2;
        for (int b = 0; b < 16; b++)
        {
            int Feature(int s) => Enumerable.Range(0, features).Single(f => x[(s * 16 + b) * features + f] == 1f);
            Assert.Equal(a + 1, Feature(k + gap - 1)); // the delimiter ends the gap
            for (int s = 0; s < t; s++)
            {
                int target = batch.Classes[s * 16 + b];
                if (s < t - k) Assert.Equal(SyntheticBatch.Ignore, target);
                else Assert.Equal(Feature(s - (t - k)) - 1, target);
            }
        }
    }

    [Fact]
    public void Tasks_RejectLengthsBelowTheirMinimum()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticTask(SyntheticTaskKind.TemporalOrder, 9));
        Assert.Contains("temporal-order", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticTask(SyntheticTaskKind.Adding, 1));
    }
}
