// The long-range synthetic tasks of Hochreiter & Schmidhuber (1997), "Long Short-Term Memory", §5, made to
// any length T. Each batch is time-major: inputs [T, B, I]; the answer is read from the network's output.
//   Adding (their experiment 4): two channels, a value U(0, 1) and a marker; exactly two steps are marked, one in
//     the first half and one in the second; the target is the sum of the two marked values, read at the last
//     step. Predicting the mean, 1, scores MSE = Var(u₁ + u₂) = 2/12 ≈ 0.167, the trivial baseline.
//   Temporal order (their experiment 6a): symbols {a, b, c, d, X, Y, B, E} one-hot; B first, E last, distractors
//     a–d elsewhere except one X-or-Y in [0.1T, 0.2T] and one in [0.5T, 0.6T]; the class (XX, XY, YX, YY) is
//     read at the last step. Chance error 3/4.
//   Copy (the memory task of their experiment 2, in the form of Arjovsky et al. 2016, made smaller so that it
//     can be learnt in minutes): K = 3 symbols from 4, then T blanks whose last is a delimiter, then K blanks
//     during which the K symbols must be output in order (sequence length T + 2K). The error is over the K
//     recall steps only. Chance error 3/4.
using Recurrent.Tensors;

namespace Recurrent.Experiments;

/// <summary>The synthetic long-range tasks.</summary>
public enum SyntheticTaskKind
{
    /// <summary>The adding problem: regression of the sum of two marked values at the last step.</summary>
    Adding,
    /// <summary>The temporal-order problem: the order of two X/Y symbols, four classes, at the last step.</summary>
    TemporalOrder,
    /// <summary>The copy (memory) task: recall K symbols after a gap of T steps.</summary>
    Copy,
}

/// <summary>How the answer of a task is read from the network.</summary>
public enum AnswerKind
{
    /// <summary>One real value from the last step's output (mean squared error).</summary>
    FinalValue,
    /// <summary>One class from the last step's output (cross-entropy).</summary>
    FinalClass,
    /// <summary>A class at some steps (cross-entropy over steps whose target is not <see cref="SyntheticBatch.Ignore"/>).</summary>
    StepClasses,
}

/// <summary>A batch of a synthetic task.</summary>
/// <param name="Inputs">[T, B, I], time-major.</param>
/// <param name="Values">FinalValue: the targets, [B]; else empty.</param>
/// <param name="Classes">FinalClass: [B]; StepClasses: [T·B] (time-major) with <see cref="Ignore"/> where nothing is asked; else empty.</param>
public sealed record SyntheticBatch(Tensor Inputs, float[] Values, int[] Classes)
{
    /// <summary>The target of a step with nothing to predict (cross-entropy's ignore index).</summary>
    public const int Ignore = -100;
}

/// <summary>One synthetic task at one length: sizes, batches, the error measure, its trivial baseline and the "solved" rule.</summary>
public sealed class SyntheticTask
{
    /// <summary>Symbols recalled by the copy task.</summary>
    public const int CopySymbols = 3;
    /// <summary>Alphabet size of the copy task.</summary>
    public const int CopyAlphabet = 4;

    /// <summary>Creates the task; <paramref name="length"/> is T (for Copy, the gap between seeing and recalling).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The length is below the task's minimum (adding 2, temporal order 10, copy 1).</exception>
    public SyntheticTask(SyntheticTaskKind kind, int length)
    {
        int min = MinimumLength(kind);
        if (length < min) throw new ArgumentOutOfRangeException(nameof(length), length, $"The {Name(kind)} task needs a length of at least {min}; got {length}.");
        (Kind, Length) = (kind, length);
    }

    public SyntheticTaskKind Kind { get; }

    /// <summary>T as given (for Copy: the gap).</summary>
    public int Length { get; }

    /// <summary>Steps per sequence: T, or T + 2K for Copy.</summary>
    public int SequenceLength => Kind == SyntheticTaskKind.Copy ? Length + 2 * CopySymbols : Length;

    /// <summary>I: input features per step.</summary>
    public int InputSize => Kind switch { SyntheticTaskKind.Adding => 2, SyntheticTaskKind.TemporalOrder => 8, _ => CopyAlphabet + 2 };

    /// <summary>Outputs of the read-out layer: 1 value, 4 classes, or the copy alphabet.</summary>
    public int OutputSize => Kind switch { SyntheticTaskKind.Adding => 1, SyntheticTaskKind.TemporalOrder => 4, _ => CopyAlphabet };

    public AnswerKind Answer => Kind switch { SyntheticTaskKind.Adding => AnswerKind.FinalValue, SyntheticTaskKind.TemporalOrder => AnswerKind.FinalClass, _ => AnswerKind.StepClasses };

    /// <summary>What <see cref="ProbeNetwork.Error"/> measures: "mse" or "error rate".</summary>
    public string ErrorName => Answer == AnswerKind.FinalValue ? "mse" : "error rate";

    /// <summary>The error of a predictor that ignores the input: MSE of always answering 1 (≈ 0.167), or chance (3/4 for both classification tasks).</summary>
    public double TrivialBaseline => Kind switch { SyntheticTaskKind.Adding => 1.0 / 6.0, SyntheticTaskKind.TemporalOrder => 0.75, _ => 1.0 - 1.0 / CopyAlphabet };

    /// <summary>
    /// The task counts as solved at this error or below: adding MSE ≤ 0.01 (6 % of the baseline: an error of
    /// 0.1 on a sum in [0, 2]; Hochreiter &amp; Schmidhuber counted an answer right within 0.04); classification
    /// error ≤ 0.05 (at least 95 % right).
    /// </summary>
    public double SolvedThreshold => Answer == AnswerKind.FinalValue ? 0.01 : 0.05;

    /// <summary>The CLI name: adding, temporal-order, copy.</summary>
    public static string Name(SyntheticTaskKind kind) => kind switch { SyntheticTaskKind.Adding => "adding", SyntheticTaskKind.TemporalOrder => "temporal-order", _ => "copy" };

    /// <summary>The shortest length the task is defined for.</summary>
    public static int MinimumLength(SyntheticTaskKind kind) => kind switch { SyntheticTaskKind.Adding => 2, SyntheticTaskKind.TemporalOrder => 10, _ => 1 };

    /// <summary>Draws a batch of <paramref name="batch"/> sequences from <paramref name="rng"/>.</summary>
    public SyntheticBatch Sample(Rng rng, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int t = SequenceLength, i = InputSize;
        var inputs = Tensor.Zeros(t, batch, i);
        Span<float> x = inputs.Span;
        float[] values = Answer == AnswerKind.FinalValue ? new float[batch] : [];
        int[] classes = Answer switch { AnswerKind.FinalClass => new int[batch], AnswerKind.StepClasses => new int[t * batch], _ => [] };
        if (Answer == AnswerKind.StepClasses) classes.AsSpan().Fill(SyntheticBatch.Ignore);
        for (int b = 0; b < batch; b++)
        {
            switch (Kind)
            {
                case SyntheticTaskKind.Adding: values[b] = SampleAdding(rng, x, b, batch); break;
                case SyntheticTaskKind.TemporalOrder: classes[b] = SampleTemporalOrder(rng, x, b, batch); break;
                default: SampleCopy(rng, x, classes, b, batch); break;
            }
        }
        return new SyntheticBatch(inputs, values, classes);
    }

    private int Index(int step, int b, int batch, int feature) => (step * batch + b) * InputSize + feature;

    private float SampleAdding(Rng rng, Span<float> x, int b, int batch)
    {
        int half = Length / 2;
        int first = rng.NextInt(half), second = half + rng.NextInt(Length - half);
        float sum = 0;
        for (int s = 0; s < Length; s++)
        {
            float u = rng.NextFloat();
            x[Index(s, b, batch, 0)] = u;
            if (s == first || s == second)
            {
                x[Index(s, b, batch, 1)] = 1f;
                sum += u;
            }
        }
        return sum;
    }

    // Symbols 0–3 a–d (distractors), 4 X, 5 Y, 6 B (start), 7 E (end).
    private int SampleTemporalOrder(Rng rng, Span<float> x, int b, int batch)
    {
        int t1 = Between(rng, Length / 10, 2 * Length / 10), t2 = Between(rng, Length / 2, 6 * Length / 10);
        int s1 = rng.NextInt(2), s2 = rng.NextInt(2);
        for (int s = 0; s < Length; s++)
        {
            int symbol = s == 0 ? 6 : s == Length - 1 ? 7 : s == t1 ? 4 + s1 : s == t2 ? 4 + s2 : rng.NextInt(4);
            x[Index(s, b, batch, symbol)] = 1f;
        }
        return 2 * s1 + s2;
    }

    private static int Between(Rng rng, int low, int high) => Math.Max(1, low) + rng.NextInt(Math.Max(1, high - Math.Max(1, low) + 1));

    // Features: 0 blank, 1…A symbols, A + 1 delimiter (A = CopyAlphabet). Targets: the symbol index 0…A − 1 at the last K steps.
    private void SampleCopy(Rng rng, Span<float> x, int[] classes, int b, int batch)
    {
        int t = SequenceLength;
        Span<int> symbols = stackalloc int[CopySymbols];
        for (int k = 0; k < CopySymbols; k++)
        {
            symbols[k] = rng.NextInt(CopyAlphabet);
            x[Index(k, b, batch, 1 + symbols[k])] = 1f;
        }
        for (int s = CopySymbols; s < t; s++)
            x[Index(s, b, batch, s == CopySymbols + Length - 1 ? CopyAlphabet + 1 : 0)] = 1f;
        for (int k = 0; k < CopySymbols; k++) classes[(t - CopySymbols + k) * batch + b] = symbols[k];
    }
}
