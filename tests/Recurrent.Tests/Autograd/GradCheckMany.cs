// Finite-difference gradient check for functions with several outputs (a recurrent layer's output and
// final states): L = Σ_k Σ_i w_k,i·y_k,i with fixed random weights per output. Same method and
// tolerances as GradCheck.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

internal static class GradCheckMany
{
    public static GradCheck.Result Run(Func<Tape, IReadOnlyList<Variable>> forward, IReadOnlyList<Variable> inputs,
        double eps = 1e-2, double atol = 2e-3, double rtol = 1e-2, int maxPerInput = 24, int seed = 7)
    {
        foreach (Variable v in inputs) v.ZeroGrad();
        var weights = new List<Tensor>();
        using (var tape = new Tape())
        {
            IReadOnlyList<Variable> ys = forward(tape);
            var rng = new Rng((ulong)seed);
            var seeds = new List<(Variable, Tensor)>();
            foreach (Variable y in ys)
            {
                var w = Tensor.Zeros(y.Value.Shape.ToArray());
                rng.FillUniform(w.Span, -1f, 1f);
                weights.Add(w);
                seeds.Add((y, w));
            }
            tape.Backward(seeds);
        }
        var analytic = inputs.Select(v => v.Grad?.Span.ToArray() ?? new float[v.Value.Length]).ToArray();

        double Loss()
        {
            using var tape = new Tape();
            using var scope = tape.NoGrad();
            IReadOnlyList<Variable> ys = forward(tape);
            double sum = 0;
            for (int k = 0; k < ys.Count; k++)
            {
                ReadOnlySpan<float> y = ys[k].Value.Span, w = weights[k].Span;
                for (int i = 0; i < y.Length; i++) sum += (double)y[i] * w[i];
            }
            return sum;
        }

        var pick = new Rng((ulong)seed + 1);
        double worst = 0;
        string report = "all gradients match";
        for (int v = 0; v < inputs.Count; v++)
        {
            int n = inputs[v].Value.Length;
            int[] indices = n <= maxPerInput ? Enumerable.Range(0, n).ToArray() : Enumerable.Range(0, maxPerInput).Select(_ => pick.NextInt(n)).ToArray();
            foreach (int j in indices)
            {
                Span<float> x = inputs[v].Value.Span;
                float saved = x[j];
                x[j] = saved + (float)eps;
                double plus = Loss();
                inputs[v].Value.Span[j] = saved - (float)eps;
                double minus = Loss();
                inputs[v].Value.Span[j] = saved;
                double numeric = (plus - minus) / (2 * eps), a = analytic[v][j];
                double excess = Math.Abs(numeric - a) - (atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(a)));
                if (excess > worst)
                {
                    worst = excess;
                    report = $"input {v} {inputs[v].Value.ShapeText} element {j}: numeric {numeric:G6}, analytic {a:G6}";
                }
            }
        }
        return new GradCheck.Result(worst <= 0, report);
    }
}
