// Options, state and results of the recurrent layers (RNN, LSTM, GRU), shaped as PyTorch's nn.RNN/LSTM/GRU:
// input [T, B, I] (time-major; [B, T, I] with BatchFirst), output [T, B, D·H], states [L·D, B, H] ordered
// layer 0 forward, layer 0 reverse, layer 1 forward, …  Legend: T time, B batch, I input features,
// H hidden size, L layers, D directions (2 when bidirectional), G gate rows (H RNN, 4H LSTM, 3H GRU).
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Nn;

/// <summary>The recurrent cell.</summary>
public enum CellKind
{
    /// <summary>h' = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnTanh,
    /// <summary>h' = relu(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,
    /// <summary>LSTM with gates i, f, g, o (PyTorch's row order).</summary>
    Lstm,
    /// <summary>GRU in PyTorch's (cuDNN) form: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)).</summary>
    Gru,
    /// <summary>GRU in the original form (Cho et al. 2014): n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn).</summary>
    GruOriginal,
    /// <summary>
    /// Layer-normalised LSTM (Ba, Kiros &amp; Hinton 2016): gates = γ_ih ⊙ LN(W_ih x) + γ_hh ⊙ LN(W_hh h) + b_ih + b_hh,
    /// each normalisation over all 4H gate rows, then c' = f⊙c + i⊙g and h' = o ⊙ tanh(γ_c ⊙ LN(c') + β_c).
    /// The cell state carried to the next step is c' itself.
    /// </summary>
    LayerNormLstm,
}

/// <summary>Configuration of a recurrent stack. Validates itself.</summary>
public sealed record RecurrentOptions
{
    /// <summary>Creates options; see the properties for meanings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1 or dropout is outside [0, 1).</exception>
    public RecurrentOptions(CellKind cell, int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false,
        float dropout = 0f, bool batchFirst = false, bool forgetBiasOne = false, bool orthogonalRecurrent = false)
    {
        if (inputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize, "Input size must be ≥ 1.");
        if (hiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, "Hidden size must be ≥ 1.");
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, "Number of layers must be ≥ 1.");
        if (!(dropout >= 0f && dropout < 1f)) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "Dropout must be in [0, 1).");
        (Cell, InputSize, HiddenSize, NumLayers, Bidirectional, Dropout, BatchFirst, ForgetBiasOne, OrthogonalRecurrent) =
            (cell, inputSize, hiddenSize, numLayers, bidirectional, dropout, batchFirst, forgetBiasOne, orthogonalRecurrent);
    }

    public CellKind Cell { get; }
    public int InputSize { get; }
    public int HiddenSize { get; }
    public int NumLayers { get; }
    public bool Bidirectional { get; }

    /// <summary>Dropout on the outputs of every layer but the last, in training mode (PyTorch's semantics).</summary>
    public float Dropout { get; }

    /// <summary>Input and output as [B, T, ·] instead of [T, B, ·].</summary>
    public bool BatchFirst { get; }

    /// <summary>LSTM (either form) only: initialise the forget-gate bias (in b_ih) to 1 instead of PyTorch's uniform draw.</summary>
    public bool ForgetBiasOne { get; }

    /// <summary>Initialise each gate block of W_hh as an orthogonal matrix instead of PyTorch's uniform draw.</summary>
    public bool OrthogonalRecurrent { get; }

    /// <summary>
    /// DropConnect on the recurrent weights in training mode (Wan et al. 2013; the weight drop of Merity et al.'s
    /// AWD-LSTM): each element of every W_hh is zeroed with this probability and the rest scaled by 1/(1−p), with
    /// one mask per <c>RecurrentLayer.Forward</c> call shared by all time steps and sequences, so the
    /// recurrence itself is regularised. 0 (the default) turns it off; must be in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside [0, 1).</exception>
    public float WeightDrop
    {
        get => _weightDrop;
        init
        {
            if (!(value >= 0f && value < 1f)) throw new ArgumentOutOfRangeException(nameof(WeightDrop), value, "Weight drop must be in [0, 1).");
            _weightDrop = value;
        }
    }
    private readonly float _weightDrop;

    /// <summary>D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>G: gate rows per hidden unit times H (RNN 1, LSTM 4, GRU 3).</summary>
    public int GateCount => Cell switch { CellKind.Lstm or CellKind.LayerNormLstm => 4, CellKind.Gru or CellKind.GruOriginal => 3, _ => 1 };

    /// <summary>The cell carries a cell state C beside H (LSTM, layer-normalised LSTM).</summary>
    public bool HasCellState => Cell.HasCellState();
}

/// <summary>Facts about each <see cref="CellKind"/>.</summary>
public static class CellKindFacts
{
    /// <summary>The cell carries a cell state C beside H (LSTM, layer-normalised LSTM).</summary>
    public static bool HasCellState(this CellKind cell) => cell is CellKind.Lstm or CellKind.LayerNormLstm;
}

/// <summary>Recurrent state: H [L·D, B, H] and, for LSTM (either form), the cell C [L·D, B, H].</summary>
public sealed record RecurrentState(Variable H, Variable? C);

/// <summary>The result of running a recurrent stack over a sequence.</summary>
/// <param name="Output">[T, B, D·H] (or [B, T, D·H] batch-first): the last layer's hidden states; zero past each sequence's length.</param>
/// <param name="Final">The state at each sequence's own last step, per layer and direction.</param>
public sealed record RecurrentResult(Variable Output, RecurrentState Final);

/// <summary>
/// Opt-in capture of ∂loss/∂h_t for every step, filled by the backward pass: <see cref="Gradients"/> is
/// [L·D, T, B, H], the total gradient reaching each layer's hidden state at each time step (from the
/// output above it and from later steps). Used to plot vanishing and exploding gradients.
/// </summary>
public sealed class HiddenGradientCapture
{
    /// <summary>[L·D, T, B, H] after a backward pass; null before.</summary>
    public Tensor? Gradients { get; internal set; }
}
