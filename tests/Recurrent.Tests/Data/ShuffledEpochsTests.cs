using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tests.Data;

public sealed class ShuffledEpochsTests
{
    private static int[][] Plan(Rng rng)
    {
        int[] order = Enumerable.Range(0, 10).OrderBy(_ => rng.NextFloat()).ToArray();
        return order.Chunk(3).ToArray();
    }

    [Fact]
    public void ShuffledEpochs_SavedAndLoaded_ContinueWithTheSameBatches()
    {
        var uninterrupted = new ShuffledEpochs(42, Plan);
        var stopped = new ShuffledEpochs(42, Plan);
        for (int i = 0; i < 6; i++) Assert.Equal(uninterrupted.Next(), stopped.Next());
        var resumed = new ShuffledEpochs(42, Plan);
        resumed.Load(stopped.Save());
        Assert.Equal(1, resumed.EpochsCompleted);
        for (int i = 0; i < 9; i++) Assert.Equal(uninterrupted.Next(), resumed.Next());
        Assert.Equal(3, resumed.EpochsCompleted);
    }

    [Fact]
    public void ShuffledEpochs_EveryEpochCoversEveryExampleOnce_InANewOrder()
    {
        var epochs = new ShuffledEpochs(7, Plan);
        int[] first = Enumerable.Range(0, 4).SelectMany(_ => epochs.Next()).ToArray();
        int[] second = Enumerable.Range(0, 4).SelectMany(_ => epochs.Next()).ToArray();
        Assert.Equal(Enumerable.Range(0, 10), first.Order());
        Assert.Equal(Enumerable.Range(0, 10), second.Order());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void ShuffledEpochs_CursorOfOtherData_IsRejected()
    {
        var epochs = new ShuffledEpochs(1, Plan);
        var cursor = epochs.Save();
        cursor["batch_index"] = 99;
        var error = Assert.Throws<RecurrentDataException>(() => new ShuffledEpochs(1, Plan).Load(cursor));
        Assert.Contains("--batch", error.Message);
    }
}
