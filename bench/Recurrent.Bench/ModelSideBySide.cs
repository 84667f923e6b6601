// Training, inference and generation: ours and libtorch's in one process, interleaved round by round;
// medians, GFLOP/s, share of the FMA ceiling and the ratio ours / libtorch. Peak memory is measured in
// separate child processes (one side each), since one process's peak mixes both.
using System.Diagnostics;
using Recurrent.Cli.Bench;

namespace Recurrent.Bench;

internal static class ModelSideBySide
{
    /// <summary>The two-core FMA ceiling the performance targets were set against (Zen 5, two 512-bit FMA pipes per core at ~4 GHz).</summary>
    public const double NominalCeiling = 514;

    public static void Run(IReadOnlyList<BenchConfig> configs, bool train, int rounds, double ceiling)
    {
        Console.WriteLine($"Shares of the FMA ceiling: of the {ceiling:F0} GFLOP/s measured here / of the issue's nominal {NominalCeiling:F0} GFLOP/s (two Zen 5 cores).");
        Console.WriteLine($"| config | mode | ours tokens/s | libtorch tokens/s | ours / libtorch | ours GFLOP/s (% of {ceiling:F0} / of {NominalCeiling:F0}) | libtorch GFLOP/s (% of {ceiling:F0} / of {NominalCeiling:F0}) |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (BenchConfig c in configs)
        {
            var ours = new BenchModel(c);
            var theirs = new TorchModel(c);
            Action oursStep = train ? ours.TrainStep : ours.InferStep, theirsStep = train ? theirs.TrainStep : theirs.InferStep;
            // Each side runs ~1 s per round, so the other side's idle threads (spinning briefly after their
            // last parallel region) disturb only the start of a round.
            int oursReps = Warm(oursStep), theirsReps = Warm(theirsStep);
            var oursTimes = new List<double>();
            var theirsTimes = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                oursTimes.Add(Timing.TimeOnce(oursStep, oursReps));
                theirsTimes.Add(Timing.TimeOnce(theirsStep, theirsReps));
            }
            double oursTps = ours.TokensPerBatch / Timing.Median(oursTimes), theirsTps = theirs.TokensPerBatch / Timing.Median(theirsTimes);
            double flops = train ? c.TrainFlopsPerToken : c.ForwardFlopsPerToken;
            double og = oursTps * flops / 1e9, tg = theirsTps * flops / 1e9;
            Console.WriteLine($"| {c.Name} | {(train ? "train" : "infer")} | {oursTps:N0} | {theirsTps:N0} | {oursTps / theirsTps:F2}× | {og:F1} ({og / ceiling:P0} / {og / NominalCeiling:P0}) | {tg:F1} ({tg / ceiling:P0} / {tg / NominalCeiling:P0}) |");
        }
    }

    public static void Generate(int rounds)
    {
        var network = new Recurrent.Tasks.LanguageModel.LanguageModelNetwork(new Recurrent.Tasks.LanguageModel.LanguageModelShape(96, Recurrent.Nn.CellKind.Lstm, 128, 512, 2, 0f), new Recurrent.Tensors.Rng(1));
        // Ours with each weight precision (float32 is the like-for-like comparison), libtorch in float32.
        var precisions = new[] { Recurrent.Tasks.LanguageModel.WeightPrecision.Float32, Recurrent.Tasks.LanguageModel.WeightPrecision.BFloat16, Recurrent.Tasks.LanguageModel.WeightPrecision.Int8 };
        var sides = precisions.Select(p => OursGenerator(network, p)).ToList();
        var theirs = new TorchGenerator();
        // Warm up by time (2 s each): the runtime recompiles hot methods with full optimisation only after a while.
        var warm = Stopwatch.StartNew();
        foreach (Action side in sides.Append(theirs.Step))
        {
            warm.Restart();
            while (warm.Elapsed.TotalSeconds < 2) side();
        }
        var oursTimes = sides.Select(_ => new List<double>()).ToList();
        var theirsTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            // A pause before each side lets the other side's worker threads, which spin for a while after their
            // last work (ours ~0.2 ms, OpenMP's longer), go idle instead of competing for the two cores.
            for (int s = 0; s < sides.Count; s++)
            {
                Thread.Sleep(500);
                oursTimes[s].Add(Timing.TimeOnce(sides[s], 1000) * 1e6);
            }
            Thread.Sleep(500);
            theirsTimes.Add(Timing.TimeOnce(theirs.Step, 1000) * 1e6);
        }
        double t = Timing.Median(theirsTimes);
        string[] names = ["float32", "bfloat16", "int8"];
        for (int s = 0; s < sides.Count; s++)
        {
            double o = Timing.Median(oursTimes[s]);
            Console.WriteLine($"| generate charlm-lstm, batch 1, ours with {names[s]} weights | {o:F1} µs/token | {t:F1} µs/token (float32) | {t / o:F2}× faster |");
        }
    }

    /// <summary>One token of ours: a decoder step in <paramref name="precision"/> and sampling from its logits.</summary>
    private static Action OursGenerator(Recurrent.Tasks.LanguageModel.LanguageModelNetwork network, Recurrent.Tasks.LanguageModel.WeightPrecision precision)
    {
        var decoder = new Recurrent.Tasks.LanguageModel.StreamingDecoder(network, precision);
        var sampler = new Recurrent.Tasks.LanguageModel.TokenSampler(96, new Recurrent.Tasks.LanguageModel.SampleOptions(temperature: 1f));
        var logits = new float[96];
        int token = 10;
        return () =>
        {
            decoder.Step(token, logits);
            token = sampler.Next(logits);
        };
    }

    /// <summary>Runs the side alone in a child process for a few batches and returns its peak RSS (MiB).</summary>
    public static double PeakMemoryOfChild(string config, string side)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!, ["memory", "--config", config, "--side", side]) { RedirectStandardOutput = true };
        using var child = Process.Start(info)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        return double.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The child's side: a few training batches, then the process's peak RSS.</summary>
    public static void MemoryChild(BenchConfig c, string side)
    {
        Action step = side == "ours" ? new BenchModel(c).TrainStep : new TorchModel(c).TrainStep;
        for (int i = 0; i < 4; i++) step();
        Console.WriteLine(TrainBenchmark.PeakRssMib().ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Warms up for 3 s; returns the repetitions that take about one second.</summary>
    private static int Warm(Action step)
    {
        var sw = Stopwatch.StartNew();
        int n = 0;
        for (; n < 2 || sw.Elapsed.TotalSeconds < 3; n++) step();
        double perStep = Timing.TimeOnce(step, 1);
        return Math.Max(1, (int)Math.Round(1.0 / perStep));
    }
}
