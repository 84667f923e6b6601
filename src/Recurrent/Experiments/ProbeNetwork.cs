// The network every experiment trains: one recurrent layer (RNN, LSTM or GRU) and a linear read-out, the
// smallest model the lecture's argument is about. The answer of a task is read from the last hidden state
// (adding, temporal order) or from every step (copy).
//   FinalValue:  ŷ = W_o h_T + b_o            L = mean_b (ŷ_b − y_b)²
//   FinalClass:  z = W_o h_T + b_o            L = mean_b −log softmax(z_b)_{y_b}
//   StepClasses: z_t = W_o h_t + b_o          L = mean over asked steps of −log softmax(z_t)_{y_t}
// Legend: T time, B batch, I input features, H hidden size.
using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Experiments;

/// <summary>One recurrent layer and a linear read-out, for a <see cref="SyntheticTask"/>.</summary>
public sealed class ProbeNetwork : IModule
{
    /// <summary>Creates the network with PyTorch's initialisation from <paramref name="rng"/>.</summary>
    /// <param name="cell">The recurrent cell.</param>
    /// <param name="task">Gives the input and output sizes.</param>
    /// <param name="hidden">H.</param>
    /// <param name="rng">Draws the initial weights.</param>
    public ProbeNetwork(CellKind cell, SyntheticTask task, int hidden, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(task);
        Task = task;
        Recurrent = new RecurrentLayer(new RecurrentOptions(cell, task.InputSize, hidden), rng);
        Head = new Linear(hidden, task.OutputSize, rng);
    }

    public SyntheticTask Task { get; }

    public RecurrentLayer Recurrent { get; }

    public Linear Head { get; }

    /// <inheritdoc/>
    public void CollectParameters(string prefix, List<NamedParameter> into)
    {
        Recurrent.CollectParameters(prefix + "rnn.", into);
        Head.CollectParameters(prefix + "head.", into);
    }

    /// <summary>
    /// The task's loss on <paramref name="batch"/>, built on <paramref name="tape"/>. With a capture, the backward
    /// pass fills it with ∂L/∂h_t [1, T, B, H].
    /// </summary>
    public Variable Loss(Tape tape, SyntheticBatch batch, HiddenGradientCapture? capture = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(batch);
        Variable logits = Logits(tape, batch, capture);
        return Task.Answer == AnswerKind.FinalValue ? tape.MeanSquaredError(logits, batch.Values) : tape.CrossEntropy(logits, batch.Classes);
    }

    /// <summary>The task's error on <paramref name="batch"/> without recording: MSE, or the fraction of wrong classes over asked steps.</summary>
    public double Error(SyntheticBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var tape = new Tape { Training = false };
        using var scope = tape.NoGrad();
        ReadOnlySpan<float> z = Logits(tape, batch, null).Value.Span;
        if (Task.Answer == AnswerKind.FinalValue)
        {
            double sum = 0;
            for (int b = 0; b < batch.Values.Length; b++) sum += Math.Pow(z[b] - batch.Values[b], 2);
            return sum / batch.Values.Length;
        }
        int c = Task.OutputSize, wrong = 0, asked = 0;
        for (int n = 0; n < batch.Classes.Length; n++)
        {
            if (batch.Classes[n] == SyntheticBatch.Ignore) continue;
            ReadOnlySpan<float> row = z.Slice(n * c, c);
            int best = 0;
            for (int k = 1; k < c; k++) if (row[k] > row[best]) best = k;
            wrong += best == batch.Classes[n] ? 0 : 1;
            asked++;
        }
        return asked == 0 ? 0 : (double)wrong / asked;
    }

    /// <summary>Read-out: [B, out] from h_T, or [T·B, out] from every step.</summary>
    private Variable Logits(Tape tape, SyntheticBatch batch, HiddenGradientCapture? capture)
    {
        int t = batch.Inputs.Dim(0), b = batch.Inputs.Dim(1), h = Recurrent.Options.HiddenSize;
        RecurrentResult r = Recurrent.Forward(tape, Tape.Constant(batch.Inputs), capture: capture);
        if (Task.Answer == AnswerKind.StepClasses)
            return Head.Forward(tape, tape.Reshape(r.Output, t * b, h));
        // h_T is the final state [1, B, H] (one layer, one direction).
        return Head.Forward(tape, tape.Reshape(r.Final.H, b, h));
    }
}
