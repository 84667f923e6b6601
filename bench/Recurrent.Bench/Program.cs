// Side-by-side benchmarks: ours and libtorch in one process, interleaved.
// Usage: Recurrent.Bench gemm [--threads N] [--rounds R]
using Recurrent.Bench;
using Recurrent.Tensors;

string? command = args.Length > 0 ? args[0] : null;
int threads = Environment.ProcessorCount, rounds = 7;
for (int i = 1; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1:
            threads = t; i++; break;
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r >= 1:
            rounds = r; i++; break;
        default:
            Console.Error.WriteLine($"Recurrent.Bench: unknown or malformed option '{args[i]}'. Usage: Recurrent.Bench gemm [--threads N] [--rounds R]");
            return 2;
    }
}
if (command != "gemm")
{
    Console.Error.WriteLine("Usage: Recurrent.Bench gemm [--threads N] [--rounds R]");
    return 2;
}
Parallelism.ThreadCount = threads;
Libtorch.Initialize(threads);
GemmSideBySide.Run(rounds);
return 0;
