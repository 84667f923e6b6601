// The vectorised gate kernels against their scalar reference, for every hidden size 1…67 (every vector
// tail) and a batch with inactive rows.
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Nn;

public sealed class CellKernelsTests
{
    private const int B = 3;
    private static readonly bool[] Active = [true, false, true];

    public static TheoryData<int> Sizes()
    {
        var data = new TheoryData<int>();
        for (int h = 1; h <= 67; h++) data.Add(h);
        return data;
    }

    private static float[] R(int n, int seed, float scale = 2f) => TestData.Uniform(n, seed, scale);
    private static float[] Unit(int n, int seed) => R(n, seed, 1f).Select(v => 0.5f + 0.45f * v).ToArray();
    private static void Same(float[] expected, float[] actual, string what) => TestData.AssertClose(expected, actual, 2e-6, 2e-6, what);

    [Theory]
    [MemberData(nameof(Sizes))]
    [InlineData(512)]
    public void LstmCell_InOnePass_GivesTheBitsOfTheSeparatePasses(int h)
    {
        float[] g4 = R(4 * h, 21, 6f), cPrev = R(h, 22), expectedGates = (float[])g4.Clone();
        float[] c = new float[h], hOut = new float[h], tanhC = new float[h];
        FastActivations.Sigmoid(expectedGates.AsSpan(0, 2 * h), expectedGates.AsSpan(0, 2 * h));
        FastActivations.Tanh(expectedGates.AsSpan(2 * h, h), expectedGates.AsSpan(2 * h, h));
        FastActivations.Sigmoid(expectedGates.AsSpan(3 * h, h), expectedGates.AsSpan(3 * h, h));
        float[] expectedC = new float[h], expectedT = new float[h], expectedH = new float[h];
        System.Numerics.Tensors.TensorPrimitives.Multiply(expectedGates.AsSpan(h, h), cPrev, expectedC);
        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(expectedGates.AsSpan(0, h), expectedGates.AsSpan(2 * h, h), expectedC, expectedC);
        FastActivations.Tanh(expectedC, expectedT);
        System.Numerics.Tensors.TensorPrimitives.Multiply(expectedGates.AsSpan(3 * h, h), expectedT, expectedH);
        FastActivations.LstmCell(g4, cPrev, c, hOut, tanhC, h);
        TestData.AssertBitIdentical(expectedGates, g4, $"gates h={h}:");
        TestData.AssertBitIdentical(expectedC, c, $"c h={h}:");
        TestData.AssertBitIdentical(expectedT, tanhC, $"tanh c h={h}:");
        TestData.AssertBitIdentical(expectedH, hOut, $"h h={h}:");
        // In place: c' over c.
        float[] again = R(4 * h, 21, 6f), cInPlace = (float[])cPrev.Clone();
        FastActivations.LstmCell(again, cInPlace, cInPlace, hOut, tanhC, h);
        TestData.AssertBitIdentical(expectedC, cInPlace, $"c in place h={h}:");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ForwardKernels_MatchReference(int h)
    {
        foreach (bool relu in new[] { false, true })
        {
            float[] g1 = R(B * h, 1), g2 = (float[])g1.Clone(), hp = R(B * h, 2), o1 = new float[B * h], o2 = new float[B * h];
            CellKernelsReference.RnnForward(g1, hp, o1, Active, h, relu);
            CellKernels.RnnForward(g2, hp, o2, Active, h, relu);
            Same(o1, o2, $"rnn relu={relu} h={h}");
        }
        {
            float[] g1 = R(B * 4 * h, 3), g2 = (float[])g1.Clone(), cp = R(B * h, 4), hp = R(B * h, 5);
            float[] c1 = new float[B * h], c2 = new float[B * h], h1 = new float[B * h], h2 = new float[B * h], t1 = new float[B * h], t2 = new float[B * h];
            CellKernelsReference.LstmForward(g1, cp, hp, c1, h1, t1, Active, h);
            CellKernels.LstmForward(g2, cp, hp, c2, h2, t2, Active, h);
            Same(c1, c2, $"lstm c h={h}"); Same(h1, h2, $"lstm h h={h}");
            for (int b = 0; b < B; b++) if (Active[b]) Same(g1[(b * 4 * h)..((b + 1) * 4 * h)], g2[(b * 4 * h)..((b + 1) * 4 * h)], "lstm gates");
        }
        {
            float[] p1 = R(B * 3 * h, 6), p2 = (float[])p1.Clone(), hh = R(B * 3 * h, 7), hp = R(B * h, 8);
            float[] n1 = new float[B * h], n2 = new float[B * h], s1 = new float[B * h], s2 = new float[B * h];
            CellKernelsReference.GruForward(p1, hh, hp, n1, s1, Active, h);
            CellKernels.GruForward(p2, hh, hp, n2, s2, Active, h);
            Same(n1, n2, $"gru h h={h}");
        }
        {
            float[] p1 = R(B * 3 * h, 9), p2 = (float[])p1.Clone(), hhRz = R(B * 2 * h, 10), hp = R(B * h, 11), hn = R(B * h, 12);
            float[] rh1 = new float[B * h], rh2 = new float[B * h], n1 = new float[B * h], n2 = new float[B * h];
            CellKernelsReference.GruOriginalGates(p1, hhRz, hp, rh1, Active, h);
            CellKernels.GruOriginalGates(p2, hhRz, hp, rh2, Active, h);
            Same(rh1, rh2, $"gru-original r⊙h h={h}");
            CellKernelsReference.GruOriginalOutput(p1, hn, hp, n1, Active, h);
            CellKernels.GruOriginalOutput(p2, hn, hp, n2, Active, h);
            Same(n1, n2, $"gru-original h h={h}");
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void BackwardKernels_MatchReference(int h)
    {
        foreach (bool relu in new[] { false, true })
        {
            float[] act = R(B * h, 1, 0.9f), dh = R(B * h, 2), a1 = new float[B * h], a2 = new float[B * h], p1 = new float[B * h], p2 = new float[B * h];
            CellKernelsReference.RnnBackward(act, dh, a1, p1, Active, h, relu);
            CellKernels.RnnBackward(act, dh, a2, p2, Active, h, relu);
            Same(a1, a2, $"rnn dA relu={relu} h={h}"); Same(p1, p2, "rnn dHPrev");
        }
        {
            float[] act = Unit(B * 4 * h, 3), cp = R(B * h, 4), tc = R(B * h, 5, 0.9f), dh = R(B * h, 6), dc = R(B * h, 7);
            float[] g1 = new float[B * 4 * h], g2 = new float[B * 4 * h], c1 = new float[B * h], c2 = new float[B * h], p1 = new float[B * h], p2 = new float[B * h];
            CellKernelsReference.LstmBackward(act, cp, tc, dh, dc, g1, c1, p1, Active, h);
            CellKernels.LstmBackward(act, cp, tc, dh, dc, g2, c2, p2, Active, h);
            Same(g1, g2, $"lstm dGates h={h}"); Same(c1, c2, "lstm dCPrev"); Same(p1, p2, "lstm dHPrev");
        }
        {
            float[] act = Unit(B * 3 * h, 8), hn = R(B * h, 9), hp = R(B * h, 10), dh = R(B * h, 11);
            float[] d1 = new float[B * 3 * h], d2 = new float[B * 3 * h], e1 = new float[B * 3 * h], e2 = new float[B * 3 * h], p1 = new float[B * h], p2 = new float[B * h];
            CellKernelsReference.GruBackward(act, hn, hp, dh, d1, e1, p1, Active, h);
            CellKernels.GruBackward(act, hn, hp, dh, d2, e2, p2, Active, h);
            Same(d1, d2, $"gru dPre h={h}"); Same(e1, e2, "gru dHh"); Same(p1, p2, "gru dHPrev");
        }
    }
}
