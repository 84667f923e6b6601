using Recurrent.Autograd;
using Recurrent.Experiments;
using Recurrent.Nn;
using Recurrent.Tensors;

namespace Recurrent.Tests.Experiments;

/// <summary>The lecture's claims, each on a reduced setting of its experiment.</summary>
public sealed class ExperimentConclusionTests
{
    [Fact]
    public void GradientFlow_VanillaRnnVanishes_OrdersOfMagnitudeBelowLstm_AndExplodesAboveRadiusOne()
    {
        var runs = GradientFlowExperiment.Run(new GradientFlowOptions
        {
            Cells = [CellKind.RnnTanh, CellKind.Lstm], Scales = [0.5, 1.5], Length = 60, Hidden = 16, Batch = 8, TrainSteps = 0,
        });
        double Norm(CellKind cell, double scale, int distance) => runs.Single(r => r.Cell == cell && r.Scale == scale).InitialNorms[distance];
        double rnn = Norm(CellKind.RnnTanh, 0.5, 50), lstm = Norm(CellKind.Lstm, 0.5, 50);
        Assert.True(rnn < 1e-4 * lstm, $"ρ = 0.5, distance 50: RNN {rnn:E2}, LSTM {lstm:E2}; expected the RNN's ≥ 4 orders of magnitude smaller");
        Assert.True(rnn < 1e-10 * Norm(CellKind.RnnTanh, 0.5, 0), $"RNN ρ = 0.5: distance 50 {rnn:E2} vs distance 0 {Norm(CellKind.RnnTanh, 0.5, 0):E2}; expected vanishing");
        // Above radius 1 the product of Jacobians no longer shrinks geometrically (tanh′ ≤ 1 still damps it).
        double large = Norm(CellKind.RnnTanh, 1.5, 50);
        Assert.True(large > 1e6 * rnn, $"RNN distance 50: ρ = 1.5 gives {large:E2}, ρ = 0.5 gives {rnn:E2}; expected ≥ 6 orders of magnitude apart");
        Assert.All(runs, r => Assert.Equal(r.Scale, r.Initial.SpectralRadius, 4));
    }

    [Fact]
    public void HiddenGradientNorms_AtDistanceZero_AreTheReadOutsGradient()
    {
        // e = (ŷ − y)², ŷ = w·h_T + b  →  ∂e/∂h_T = 2(ŷ − y)·w, whose norm is 2|ŷ − y|·‖w‖.
        var task = new SyntheticTask(SyntheticTaskKind.Adding, 12);
        var network = new ProbeNetwork(CellKind.Gru, task, 8, new Rng(4));
        SyntheticBatch batch = task.Sample(new Rng(5), 6);
        double[] norms = GradientFlowExperiment.HiddenGradientNorms(network, batch);
        Assert.Equal(12, norms.Length);
        using var tape = new Tape();
        using var _ = tape.NoGrad();
        Variable hT = tape.Reshape(network.Recurrent.Forward(tape, Tape.Constant(batch.Inputs)).Final.H, 6, 8);
        ReadOnlySpan<float> yHat = network.Head.Forward(tape, hT).Value.Span;
        double w = Math.Sqrt(network.Head.Weight.Value.Span.ToArray().Sum(v => (double)v * v)), expected = 0;
        for (int b = 0; b < 6; b++) expected += 2 * Math.Abs(yHat[b] - batch.Values[b]) * w / 6;
        Assert.Equal(expected, norms[0], 4);
        Assert.All(network.Parameters(), p => Assert.All(p.Grad!.Span.ToArray(), g => Assert.Equal(0f, g))); // no leak into training
    }

    [Fact]
    public void LongRange_LstmSolvesTheAddingProblemAtAShortLength_FarBelowTheBaseline()
    {
        var runs = LongRangeExperiment.Run(new LongRangeOptions
        {
            Task = SyntheticTaskKind.Adding, Lengths = [8], Cells = [CellKind.Lstm], Hidden = 16, Steps = 400, EvalEvery = 25, TestSize = 128,
        });
        LongRangeRun run = Assert.Single(runs);
        Assert.True(run.Solved, $"LSTM, adding T=8: MSE {run.Error:F4} after {run.Steps} steps; expected ≤ 0.01 (baseline {run.Baseline:F3})");
        Assert.True(run.Error < 0.1 * run.Baseline);
    }

    [Fact]
    public void Clipping_KeepsTheLossFinite_WhereTrainingWithoutItDiverges()
    {
        var (unclipped, clipped) = ClippingExperiment.Run(new ClippingOptions { Steps = 40, Length = 30 });
        Assert.True(unclipped.DivergedAt is not null, $"without clipping the run did not diverge (final loss {unclipped.FinalLoss:G4})");
        Assert.Null(clipped.DivergedAt);
        Assert.Equal(40, clipped.Points.Count);
        Assert.All(clipped.Points, p => Assert.True(double.IsFinite(p.Loss) && p.Loss < 10, $"clipped run, step {p.Step}: loss {p.Loss}"));
    }
}
