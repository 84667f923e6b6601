using Recurrent.Autograd;
using Recurrent.Nn;
using Recurrent.Optim;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

public sealed class LstmLearnsTests
{
    private const int Vocabulary = 4, Delay = 3, Time = 16, Batch = 32, Hidden = 32;

    /// <summary>Random tokens and, at each step t ≥ Delay, the target x[t − Delay] (ignored before).</summary>
    private static (int[] Inputs, int[] Targets) Batch_(Rng rng)
    {
        var x = new int[Time * Batch];
        var y = new int[Time * Batch];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextInt(Vocabulary);
        for (int t = 0; t < Time; t++)
            for (int b = 0; b < Batch; b++)
                y[t * Batch + b] = t < Delay ? -100 : x[(t - Delay) * Batch + b];
        return (x, y);
    }

    [Fact]
    public void Lstm_LearnsDelayedCopy_ToNearlyPerfectAccuracy()
    {
        var init = new Rng(1);
        var embedding = new Parameter(Tensor.Zeros(Vocabulary, 8));
        init.FillNormal(embedding.Value.Span, 0f, 1f);
        var lstm = new RecurrentLayer(new RecurrentOptions(CellKind.Lstm, 8, Hidden), init);
        var head = new Linear(Hidden, Vocabulary, init);
        var parameters = new List<NamedParameter> { new("embedding.weight", embedding) };
        parameters.AddRange(lstm.NamedParameters("lstm."));
        parameters.AddRange(head.NamedParameters("head."));
        var optimizer = new Adam(parameters, new AdamOptions(LearningRate: 1e-2f));
        var data = new Rng(2);
        using var tape = new Tape();
        for (int step = 0; step < 300; step++)
        {
            var (x, y) = Batch_(data);
            Variable e = tape.Embedding(embedding, x, [Time, Batch]);
            Variable h = lstm.Forward(tape, e).Output;
            Variable loss = tape.CrossEntropy(tape.Reshape(head.Forward(tape, h), Time * Batch, Vocabulary), y);
            optimizer.ZeroGrad();
            tape.Backward(loss);
            GradientClipping.ClipByGlobalNorm(parameters.Select(p => p.Parameter), 5f);
            optimizer.Step();
            tape.Reset();
        }

        var (tx, ty) = Batch_(new Rng(99));
        using var _ = tape.NoGrad();
        Variable logits = head.Forward(tape, lstm.Forward(tape, tape.Embedding(embedding, tx, [Time, Batch])).Output);
        int correct = 0, total = 0;
        for (int i = 0; i < ty.Length; i++)
        {
            if (ty[i] < 0) continue;
            ReadOnlySpan<float> row = logits.Value.Span.Slice(i * Vocabulary, Vocabulary);
            int best = 0;
            for (int v = 1; v < Vocabulary; v++) if (row[v] > row[best]) best = v;
            correct += best == ty[i] ? 1 : 0;
            total++;
        }
        Assert.True(correct >= 0.99 * total, $"accuracy {correct}/{total} = {100.0 * correct / total:F1}% after 300 steps; expected ≥ 99%");
    }
}
