using Recurrent.Tensors;

namespace Recurrent.Tests.Tensors;

public sealed class TensorTests
{
    [Fact]
    public void Rent_Dispose_ReusesStorage()
    {
        var pool = TensorPool.Shared;
        float[] first;
        using (var t = Tensor.Rent([7, 113]))
            first = t.Storage;
        using var again = Tensor.Rent([113, 7]);
        Assert.Same(first, again.Storage);
        Assert.All(again.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.True(pool.CapacityElements > 0);
    }

    [Fact]
    public void Reshape_SharesStorage_AndChecksCount()
    {
        var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var v = t.Reshape(3, 2);
        v[5] = 42;
        Assert.Equal(42, t[5]);
        Assert.Equal(2, v.Rank);
        var e = Assert.Throws<ArgumentException>(() => t.Reshape(4, 2));
        Assert.Contains("6 elements", e.Message);
    }

    [Fact]
    public void Disposed_Tensor_ThrowsOnUse()
    {
        var t = Tensor.Rent([3]);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Span.Length);
    }

    [Fact]
    public void NegativeDimension_IsRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, -1));
        Assert.Contains("negative", e.Message);
    }
}
