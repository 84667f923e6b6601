// The training loss of a batch: encode, run the decoder step by step with teacher forcing (the gold previous
// token as input; with a ratio below 1 each row feeds its own most probable token instead with probability
// 1 − ratio), then one output GEMM over all T·B step outputs and the masked cross-entropy (padding ignored,
// optional label smoothing), averaged over the target tokens.
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>How the decoder is trained.</summary>
/// <param name="TeacherForcing">Probability in [0, 1] of feeding the gold previous token (1: always).</param>
/// <param name="LabelSmoothing">ε in [0, 1) of the cross-entropy.</param>
public sealed record Seq2SeqLossOptions(float TeacherForcing = 1f, float LabelSmoothing = 0f)
{
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(TeacherForcing >= 0 && TeacherForcing <= 1)) throw new ArgumentOutOfRangeException(nameof(TeacherForcing), TeacherForcing, "--teacher-forcing must be in [0, 1].");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "--label-smoothing must be in [0, 1).");
    }
}

/// <summary>The loss of the encoder-decoder on a batch.</summary>
public static class Seq2SeqLoss
{
    /// <summary>Mean cross-entropy per target token of <paramref name="batch"/>, built on <paramref name="tape"/>.</summary>
    /// <param name="network">The model.</param>
    /// <param name="tape">The tape (training mode: dropout).</param>
    /// <param name="batch">The batch.</param>
    /// <param name="options">Teacher forcing and label smoothing.</param>
    /// <param name="rng">Dropout masks and teacher-forcing draws (required in training mode or with a ratio below 1).</param>
    public static Variable Compute(Seq2SeqNetwork network, Tape tape, Seq2SeqBatch batch, Seq2SeqLossOptions options, Rng? rng)
    {
        int b = batch.Size, steps = batch.TargetSteps;
        EncodedSource encoded = network.Encode(tape, batch.Source, batch.SourceSteps, batch.SourceLengths, rng);
        DecoderState state = encoded.Initial;
        var previous = new int[b];
        Array.Fill(previous, Vocabulary.BosId);
        var outputs = new Variable[steps];
        for (int t = 0; t < steps; t++)
        {
            DecoderStepOutput step = network.Step(tape, previous, state, encoded.Memory, rng);
            outputs[t] = step.Output;
            state = step.State;
            if (t + 1 < steps) NextInputs(network, tape, batch, t, step.Output, options.TeacherForcing, rng, previous);
        }
        Variable logits = network.Logits(tape, tape.Concat(outputs, 0), rng);
        return tape.CrossEntropy(logits, batch.Targets, ignoreIndex: Vocabulary.PadId, labelSmoothing: options.LabelSmoothing);
    }

    /// <summary>The inputs of step t + 1: the gold tokens of step t, or (teacher forcing below 1) the model's own choice.</summary>
    private static void NextInputs(Seq2SeqNetwork network, Tape tape, Seq2SeqBatch batch, int t, Variable output, float ratio, Rng? rng, int[] previous)
    {
        int b = previous.Length;
        batch.Targets.AsSpan(t * b, b).CopyTo(previous);
        if (ratio >= 1f) return;
        ArgumentNullException.ThrowIfNull(rng);
        bool[] own = new bool[b];
        bool any = false;
        for (int j = 0; j < b; j++) any |= own[j] = rng.NextFloat() >= ratio;
        if (!any) return;
        using var noGrad = tape.NoGrad();
        Variable logits = network.Out.Forward(tape, output);
        int v = logits.Value.Dim(1);
        for (int j = 0; j < b; j++)
            if (own[j]) previous[j] = Decoding.GreedyDecoder.ArgMax(logits.Value.Span.Slice(j * v, v));
    }
}
