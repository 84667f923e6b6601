// A recurrent state copied out of the tape ("detached"): kept between batches of truncated BPTT and between
// generation steps, after the tape that produced it has been reset.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>H (and C for LSTM), [L·D, B, H], owned outside any tape.</summary>
public sealed class CarriedState
{
    private CarriedState(Tensor h, Tensor? c)
    {
        H = h;
        C = c;
    }

    public Tensor H { get; }
    public Tensor? C { get; }

    /// <summary>A copy of a state's values, without gradient.</summary>
    public static CarriedState CopyOf(RecurrentState state) => new(state.H.Value.Clone(), state.C?.Value.Clone());

    /// <summary>Zeros of the given shape; C only for LSTM.</summary>
    public static CarriedState Zeros(int layers, int batch, int hidden, bool withCell) =>
        new(Tensor.Zeros(layers, batch, hidden), withCell ? Tensor.Zeros(layers, batch, hidden) : null);

    /// <summary>Wraps saved tensors.</summary>
    public static CarriedState From(Tensor h, Tensor? c) => new(h, c);

    /// <summary>
    /// Copies <paramref name="rows"/>' batch rows [L·D, b, H] into this state's rows first … first + b − 1
    /// (this state is [L·D, B, H]) and returns this state.
    /// </summary>
    public CarriedState WithRows(int first, RecurrentState rows)
    {
        CopyRows(rows.H.Value, H, first);
        if (C is not null && rows.C is not null) CopyRows(rows.C.Value, C, first);
        return this;
    }

    /// <summary>A copy of batch row <paramref name="row"/> of this state [L·D, B, H], as a state of batch 1 [L·D, 1, H].</summary>
    public CarriedState Row(int row)
    {
        int layers = H.Dim(0), batch = H.Dim(1), hidden = H.Dim(2);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, batch);
        Tensor Take(Tensor source)
        {
            var result = Tensor.Zeros(layers, 1, hidden);
            for (int k = 0; k < layers; k++)
                source.Span.Slice((k * batch + row) * hidden, hidden).CopyTo(result.Span.Slice(k * hidden, hidden));
            return result;
        }
        return new CarriedState(Take(H), C is null ? null : Take(C));
    }

    private static void CopyRows(Tensor source, Tensor target, int first)
    {
        int layers = target.Dim(0), batch = target.Dim(1), hidden = target.Dim(2), rows = source.Dim(1);
        if (source.Dim(0) != layers || source.Dim(2) != hidden || first < 0 || first + rows > batch)
            throw new ArgumentException($"CarriedState: rows {source.ShapeText} do not fit at batch row {first} of {target.ShapeText}.", nameof(source));
        for (int k = 0; k < layers; k++)
            source.Span.Slice(k * rows * hidden, rows * hidden).CopyTo(target.Span.Slice((k * batch + first) * hidden, rows * hidden));
    }

    /// <summary>The state as constant variables for a forward call.</summary>
    public RecurrentState AsState() => new(Tape.Constant(H), C is null ? null : Tape.Constant(C));
}
