// Side-by-side benchmarks: ours and libtorch in one process, interleaved.
// Usage: Recurrent.Bench gemm|train|infer|generate|memory [--config NAME] [--threads N] [--rounds R]
using Recurrent.Bench;
using Recurrent.Cli.Bench;
using Recurrent.Tensors;

const string Usage = "Usage: Recurrent.Bench gemm|train|infer|generate [--config NAME|all] [--threads N] [--rounds R]";
string? command = args.Length > 0 ? args[0] : null;
int threads = Environment.ProcessorCount, rounds = 7;
string config = "all", side = "ours";
for (int i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1:
            threads = t; i++; break;
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r >= 1:
            rounds = r; i++; break;
        case "--config" when i + 1 < args.Length:
            config = args[++i]; break;
        case "--side" when i + 1 < args.Length && args[i + 1] is "ours" or "torch":
            side = args[++i]; break;
        default:
            Console.Error.WriteLine($"Recurrent.Bench: unknown or malformed option '{args[i]}'. {Usage}");
            return 2;
    }
}
if (command is not ("gemm" or "train" or "infer" or "generate" or "memory"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}
Parallelism.ThreadCount = threads;
// A memory child for our side never loads libtorch, so its peak is ours alone.
if (!(command == "memory" && side == "ours")) Libtorch.Initialize(threads);
IReadOnlyList<BenchConfig> configs = config == "all" ? BenchConfig.All : [BenchConfig.Find(config)];
switch (command)
{
    case "gemm":
        GemmSideBySide.Run(rounds);
        break;
    case "memory":
        ModelSideBySide.MemoryChild(configs[0], side);
        break;
    case "generate":
        Console.WriteLine($"Generation, {threads} thread(s), {Libtorch.Describe()}; median of {rounds} rounds of 1000 tokens.");
        Console.WriteLine("| work | ours | libtorch | ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        ModelSideBySide.Generate(rounds);
        break;
    default:
        double ceiling = FmaCeiling.MeasureGflops();
        Console.WriteLine($"{command}: ours vs {Libtorch.Describe()}; {threads} thread(s); median of {rounds} interleaved batches after 3 s warm-up each.");
        ModelSideBySide.Run(configs, command == "train", rounds, ceiling);
        if (command == "train")
        {
            Console.WriteLine();
            Console.WriteLine("| config | ours peak RSS MiB | libtorch peak RSS MiB | ours / libtorch |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            foreach (BenchConfig c in configs)
            {
                double o = ModelSideBySide.PeakMemoryOfChild(c.Name, "ours"), t = ModelSideBySide.PeakMemoryOfChild(c.Name, "torch");
                Console.WriteLine($"| {c.Name} | {o:F0} | {t:F0} | {o / t:F2} |");
            }
        }
        break;
}
return 0;
