// Generation speed: the charlm-lstm network with random weights, batch 1, one token per step through the
// streaming decoder, sampled at temperature 1; after a 2-second warm-up, the median over rounds of µs per token.
using System.Diagnostics;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;
using Recurrent.Tensors;

namespace Recurrent.Cli.Bench;

public static class GenerateBenchmark
{
    public static double MicrosecondsPerToken(WeightPrecision precision = WeightPrecision.Float32, int tokensPerRound = 2000, int rounds = 5)
    {
        var network = new LanguageModelNetwork(new LanguageModelShape(96, CellKind.Lstm, 128, 512, 2, 0f), new Rng(1));
        var decoder = new StreamingDecoder(network, precision);
        var sampler = new TokenSampler(96, new SampleOptions(temperature: 1f, seed: 1));
        var logits = new float[96];
        int token = 10;
        // Warm up by time, not by a token count: the runtime recompiles hot methods with full optimisation only
        // after they have run for a while, and a few hundred tokens end before that.
        long warmUntil = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            decoder.Step(token, logits);
            token = sampler.Next(logits);
        }
        var times = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < tokensPerRound; i++)
            {
                decoder.Step(token, logits);
                token = sampler.Next(logits);
            }
            times[r] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / tokensPerRound;
        }
        return Timing.Median(times);
    }
}
