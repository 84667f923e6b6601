// GEMM: ours and libtorch's torch.mm on the same shapes, interleaved round by round so both see the
// same machine state; medians and the ratio ours/libtorch.
using Recurrent.Cli.Bench;
using Recurrent.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Recurrent.Bench;

internal static class GemmSideBySide
{
    public static void Run(int rounds)
    {
        double ceiling = FmaCeiling.MeasureGflops();
        Console.WriteLine($"GEMM side by side: ours (kernel {Gemm.BestKernel}, {Parallelism.ThreadCount} thread(s)) vs {Libtorch.Describe()}.");
        Console.WriteLine($"Median of {rounds} interleaved rounds. FMA ceiling measured here: {ceiling:F0} GFLOP/s (the issue's nominal one: {ModelSideBySide.NominalCeiling:F0}).");
        Console.WriteLine();
        Console.WriteLine("| M | N | K | op | ours GFLOP/s | libtorch GFLOP/s | ours / libtorch | ours % of ceiling (measured / nominal) |");
        Console.WriteLine("| ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: |");
        foreach (GemmShape shape in GemmShape.Standard)
        {
            var ours = new GemmOperands(shape);
            using var scope = NewDisposeScope();
            torch.Tensor a = shape.TransA == Transpose.Yes ? rand(shape.K, shape.M).t() : rand(shape.M, shape.K);
            torch.Tensor b = shape.TransB == Transpose.Yes ? rand(shape.N, shape.K).t() : rand(shape.K, shape.N);
            void Theirs() => a.matmul(b).Dispose();

            int oursReps = Calibrate(ours.RunOurs), theirsReps = Calibrate(Theirs);
            var oursTimes = new List<double>();
            var theirsTimes = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                oursTimes.Add(Timing.TimeOnce(ours.RunOurs, oursReps));
                theirsTimes.Add(Timing.TimeOnce(Theirs, theirsReps));
            }
            double oursGflops = shape.Flops / Timing.Median(oursTimes) / 1e9;
            double theirsGflops = shape.Flops / Timing.Median(theirsTimes) / 1e9;
            Console.WriteLine($"| {shape.M} | {shape.N} | {shape.K} | {shape.TransText} | {oursGflops:F1} | {theirsGflops:F1} | {oursGflops / theirsGflops:F2}× | {oursGflops / ceiling:P0} / {oursGflops / ModelSideBySide.NominalCeiling:P0} |");
        }
    }

    /// <summary>Repetitions that take about 0.2 s, after a warm-up call.</summary>
    private static int Calibrate(Action action)
    {
        action();
        double seconds = Timing.TimeOnce(action, 1);
        return Math.Max(1, (int)(0.2 / Math.Max(seconds, 1e-6)));
    }
}
