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

    /// <summary>The state as constant variables for a forward call.</summary>
    public RecurrentState AsState() => new(Tape.Constant(H), C is null ? null : Tape.Constant(C));
}
