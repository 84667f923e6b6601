// Central finite-difference gradient checks for float32 ops.
// The checked function is L = Σ_i w_i·y_i with fixed random weights w, so every output element
// contributes. Numeric: dL/dx_j ≈ (L(x_j + ε) − L(x_j − ε)) / 2ε, with L summed in double.
// float32 engine: ε = 1e-2 by default keeps truncation error (~ε²) and rounding error (~1e-7·|L|/ε) near
// 1e-4; tolerances are |numeric − analytic| ≤ atol + rtol·max(|numeric|, |analytic|).
// A deliberately wrong gradient must fail (tested in GradCheckTests), so the check can fail.
using Recurrent.Autograd;
using Recurrent.Tensors;

namespace Recurrent.Tests.Autograd;

internal static class GradCheck
{
    /// <summary>The largest violation found, with where it was.</summary>
    public sealed record Result(bool Passed, string Report);

    /// <summary>
    /// Checks the gradients of every variable in <paramref name="inputs"/> (each must require a gradient) for
    /// the function <paramref name="forward"/>, which must build its result on the tape it is given.
    /// </summary>
    public static Result Run(Func<Tape, Variable> forward, IReadOnlyList<Variable> inputs,
        double eps = 1e-2, double atol = 2e-3, double rtol = 1e-2, int maxPerInput = 64, int seed = 7,
        Action<IReadOnlyList<Variable>>? corruptAnalytic = null)
    {
        foreach (Variable v in inputs) v.ZeroGrad();
        Tensor weights;
        using (var tape = new Tape())
        {
            Variable y = forward(tape);
            weights = Tensor.Zeros(y.Value.Shape.ToArray());
            new Rng((ulong)seed).FillUniform(weights.Span, -1f, 1f);
            tape.Backward(y, weights);
        }
        var analytic = inputs.Select(v => v.Grad?.Span.ToArray() ?? new float[v.Value.Length]).ToArray();
        corruptAnalytic?.Invoke(inputs);
        if (corruptAnalytic is not null) analytic = inputs.Select(v => v.Grad!.Span.ToArray()).ToArray();

        double Loss()
        {
            using var tape = new Tape();
            using var scope = tape.NoGrad();
            Variable y = forward(tape);
            double sum = 0;
            ReadOnlySpan<float> ys = y.Value.Span, ws = weights.Span;
            for (int i = 0; i < ys.Length; i++) sum += (double)ys[i] * ws[i];
            return sum;
        }

        var rng = new Rng((ulong)seed + 1);
        double worst = 0;
        string report = "all gradients match";
        for (int v = 0; v < inputs.Count; v++)
        {
            Span<float> x = inputs[v].Value.Span;
            int n = x.Length;
            IEnumerable<int> indices = n <= maxPerInput ? Enumerable.Range(0, n) : Enumerable.Range(0, maxPerInput).Select(_ => rng.NextInt(n)).ToArray();
            foreach (int j in indices)
            {
                float saved = x[j];
                x[j] = saved + (float)eps;
                double plus = Loss();
                x = inputs[v].Value.Span;
                x[j] = saved - (float)eps;
                double minus = Loss();
                x = inputs[v].Value.Span;
                x[j] = saved;
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[v][j];
                double excess = Math.Abs(numeric - a) - (atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(a)));
                if (excess > worst)
                {
                    worst = excess;
                    report = $"input {v} {inputs[v].Value.ShapeText} element {j}: numeric {numeric:G6}, analytic {a:G6}";
                }
            }
        }
        return new Result(worst <= 0, report);
    }

    /// <summary>Runs the check and fails the test with the worst element when it does not pass.</summary>
    public static void Assert(Func<Tape, Variable> forward, params Variable[] inputs) => Assert(forward, inputs, 1e-2);

    public static void Assert(Func<Tape, Variable> forward, IReadOnlyList<Variable> inputs, double eps, double atol = 2e-3, double rtol = 1e-2)
    {
        Result result = Run(forward, inputs, eps, atol, rtol);
        if (!result.Passed) Xunit.Assert.Fail("Gradient check failed: " + result.Report);
    }

    /// <summary>A parameter-like leaf with seeded uniform values in [-scale, scale].</summary>
    public static Variable Leaf(int seed, float scale, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        new Rng((ulong)seed).FillUniform(t.Span, -scale, scale);
        return new Variable(t, requiresGrad: true);
    }
}
