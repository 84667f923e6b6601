// `rnn bench …`: our own speed on this machine, no other library needed.
using System.CommandLine;
using System.Text.Json;
using Recurrent.Cli.Bench;
using Recurrent.Tensors;

namespace Recurrent.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure this machine's speed: GEMM now, training and generation later.");
        bench.Subcommands.Add(CreateGemm());
        return bench;
    }

    private static Command CreateGemm()
    {
        var threads = CommonOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line instead of a table." };
        var command = new Command("gemm", "GFLOP/s of the GEMM kernel on square N=256…2048 and the recurrent step shapes 64×2048×512 (NN, NT, TN).")
        {
            threads,
            json,
        };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            bool asJson = parse.GetValue(json);
            double ceiling = 0;
            if (!asJson)
            {
                ceiling = FmaCeiling.MeasureGflops();
                Console.WriteLine($"GEMM, kernel {Gemm.BestKernel}, {Parallelism.ThreadCount} thread(s); median of 5 rounds. FMA ceiling here: {ceiling:F0} GFLOP/s.");
                Console.WriteLine($"{"M",6} {"N",6} {"K",6} {"op",3} {"GFLOP/s",9} {"of peak",8}");
            }
            foreach (GemmShape shape in GemmShape.Standard)
            {
                var operands = new GemmOperands(shape);
                double seconds = Timing.MedianSecondsPerCall(operands.RunOurs);
                double gflops = shape.Flops / seconds / 1e9;
                if (asJson)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new GemmResult("gemm", shape.M, shape.N, shape.K, shape.TransText, Parallelism.ThreadCount, Math.Round(gflops, 2)), CliJsonContext.Default.GemmResult));
                }
                else
                {
                    Console.WriteLine($"{shape.M,6} {shape.N,6} {shape.K,6} {shape.TransText,3} {gflops,9:F1} {gflops / ceiling,8:P0}");
                }
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
