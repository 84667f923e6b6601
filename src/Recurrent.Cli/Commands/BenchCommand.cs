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
        var bench = new Command("bench", "Measure this machine's speed: GEMM, training, inference and generation.");
        bench.Subcommands.Add(CreateGemm());
        bench.Subcommands.Add(CreateModel("train", "Training speed: forward + backward + Adam step with cross-entropy (median of 7 batches after warm-up).", train: true));
        bench.Subcommands.Add(CreateModel("infer", "Inference speed: forward only (median of 7 batches after warm-up).", train: false));
        bench.Subcommands.Add(CreateGenerate());
        return bench;
    }

    private static Command CreateGenerate()
    {
        var threads = CommonOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var precision = CommonOptions.Precision();
        var command = new Command("generate", "Generation speed: the charlm-lstm model (Embedding 96×128, LSTM 2×512, Linear 512→96), batch 1, one token at a time with sampling.") { threads, json, precision };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            var weights = CommonOptions.ParsePrecision(parse.GetValue(precision));
            double microseconds = GenerateBenchmark.MicrosecondsPerToken(weights);
            var result = new GenerateBenchResult("charlm-lstm", Parallelism.ThreadCount, Math.Round(microseconds, 2), CommonOptions.PrecisionName(weights));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.GenerateBenchResult));
            else output.WriteLine($"charlm-lstm generate ({result.Precision} weights), {result.Threads} thread(s): {result.UsPerToken:F1} µs per token");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateModel(string name, string description, bool train)
    {
        var config = new Option<string>("--config")
        {
            Description = $"One of {string.Join(", ", BenchConfig.All.Select(c => c.Name))}.",
            DefaultValueFactory = _ => "charlm-lstm",
        };
        var threads = CommonOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command(name, description) { config, threads, json };
        command.SetAction(parse =>
        {
            CommonOptions.ApplyThreads(parse.GetValue(threads));
            BenchConfig c = BenchConfig.Find(parse.GetValue(config)!);
            var model = new BenchModel(c);
            double seconds = TrainBenchmark.MedianSecondsPerBatch(train ? model.TrainStep : model.InferStep);
            double tokensPerSecond = model.TokensPerBatch / seconds;
            double gflops = tokensPerSecond * (train ? c.TrainFlopsPerToken : c.ForwardFlopsPerToken) / 1e9;
            var result = new ModelBenchResult(c.Name, Parallelism.ThreadCount, Math.Round(tokensPerSecond, 1), Math.Round(gflops, 2), Math.Round(TrainBenchmark.PeakRssMib(), 1));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json)) output.WriteLine(JsonSerializer.Serialize(result, CliJsonContext.Default.ModelBenchResult));
            else output.WriteLine($"{c.Name} {name}, {result.Threads} thread(s): {result.TokensPerSecond:N0} tokens/s, {result.Gflops:F1} GFLOP/s, peak RSS {result.PeakRssMib:F0} MiB");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateGemm()
    {
        var threads = CommonOptions.Threads();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line instead of a table." };
        var command = new Command("gemm", "GFLOP/s of the GEMM kernel on square N=256…2048, the recurrent step shapes 64×2048×512 (NN, NT, TN) and the gradient products of a 100-wide input (6400×100×1024 NN, 1024×100×6400 TN).")
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
