// Evaluation of a language model on a token sequence: mean cross-entropy per token in nats, bits per
// character and perplexity. The tokens are cut into up to 32 parallel streams (each at least 256 tokens
// long) run statefully in chunks, and the few targets left over when the text does not divide evenly continue
// the last stream, so every target is scored once. Each stream but the first starts from the
// state left by reading the 256 tokens before it (not scored), so the figure matches reading the text as
// one stream, the canonical way, instead of paying a cold start at every stream boundary.
using Recurrent.Autograd;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tensors;
using System.Numerics.Tensors;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>Evaluation figures of a language model on a text.</summary>
/// <param name="Loss">Mean cross-entropy per token, nats.</param>
/// <param name="BitsPerCharacter">Total bits divided by the characters of the scored text.</param>
/// <param name="Perplexity">exp(Loss).</param>
/// <param name="Tokens">Targets scored.</param>
public sealed record LanguageModelScore(double Loss, double BitsPerCharacter, double Perplexity, long Tokens);

/// <summary>Scores token sequences with a language model.</summary>
public static class LanguageModelEvaluator
{
    private const int ChunkSteps = 256;

    /// <summary>
    /// Scores <paramref name="tokens"/>; <paramref name="charactersPerToken"/> converts bits per token to bits per
    /// character (1 for a character model). With a <paramref name="mixture"/> (of weight &gt; 0, or a product) each
    /// target's probability is the network's mixed with the n-gram model's, which learns from the text as it is
    /// read; a product is scored block by block (<see cref="MixtureScoring"/>).
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static LanguageModelScore Evaluate(LanguageModelNetwork network, int[] tokens, double charactersPerToken, NGramMixture? mixture = null) =>
        EvaluateInBlocks(network, tokens, charactersPerToken, mixture, null);

    /// <summary><see cref="Evaluate"/> with a product mixture's blocks <paramref name="blockTargets"/> long (tests).</summary>
    internal static LanguageModelScore EvaluateInBlocks(LanguageModelNetwork network, int[] tokens, double charactersPerToken, NGramMixture? mixture, int? blockTargets)
    {
        RequireTwoTokens(tokens);   // with a product mixture no chunk is read, and 0 targets would score NaN
        double totalNats = 0;
        long count;
        using MixtureScoring? scoring = NGramMixture.Scoring(mixture, tokens, blockTargets);
        if (scoring is null)
            count = ForEachChunk(network, tokens, (tape, logits, targets, _) =>
            {
                totalNats += tape.CrossEntropy(logits, targets, reduction: CrossEntropyReduction.Sum).Value[0];
                return true;
            });
        else
        {
            // Block by block, each read as a text of its own whose first stream starts ChunkSteps tokens early to
            // warm its state, as the other streams do; those early targets belong to the block before.
            count = tokens.Length - 1;
            for (int start = 0; start < count; start += scoring.BlockTargets)
            {
                int end = (int)Math.Min(count, (long)start + scoring.BlockTargets), from = Math.Max(0, start - ChunkSteps);
                scoring.Prepare(start, end);
                ForEachChunk(network, tokens[from..(end + 1)], (_, logits, targets, positions) =>
                {
                    for (int r = 0; r < targets.Length; r++)
                        if (positions[r] + from >= start)
                            totalNats += scoring.Nats(logits.Value.Span, r, targets[r], positions[r] + from);
                    return true;
                });
            }
        }
        return Score(totalNats, count, charactersPerToken);
    }

    /// <summary>
    /// The network's log-probabilities of every token after each prefix of <paramref name="tokens"/>, in text
    /// order: row i [V] of the result [tokens − 1, V] is log p(· | tokens[0 … i]) as <see cref="Evaluate"/> reads the text.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static float[] LogProbabilities(LanguageModelNetwork network, int[] tokens)
    {
        int v = network.Shape.VocabularySize;
        var result = new float[(long)Math.Max(0, tokens.Length - 1) * v];
        ForEachChunk(network, tokens, (_, logits, targets, positions) =>
        {
            for (int r = 0; r < targets.Length; r++)
                Softmax.LogRows(logits.Value.Span.Slice(r * v, v), result.AsSpan(positions[r] * v, v), 1, v);
            return true;
        });
        return result;
    }

    /// <summary>
    /// The network's probability of each target of <paramref name="tokens"/>, in text order: element i is
    /// p(tokens[i + 1] | tokens[0 … i]) as <see cref="Evaluate"/> reads the text.
    /// </summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    public static double[] TargetProbabilities(LanguageModelNetwork network, int[] tokens)
    {
        var p = new double[Math.Max(0, tokens.Length - 1)];
        var work = new float[network.Shape.VocabularySize];
        ForEachChunk(network, tokens, (_, logits, targets, positions) =>
        {
            for (int r = 0; r < targets.Length; r++) p[positions[r]] = Math.Exp(LogProbability(logits.Value.Span, r, targets[r], work));
            return true;
        });
        return p;
    }

    /// <summary>log softmax(row r of <paramref name="logits"/> [rows, V])[target]; <paramref name="work"/> [V] is scratch.</summary>
    internal static double LogProbability(ReadOnlySpan<float> logits, int r, int target, Span<float> work)
    {
        int v = work.Length;
        ReadOnlySpan<float> row = logits.Slice(r * v, v);
        float max = TensorPrimitives.Max(row);
        TensorPrimitives.Subtract(row, max, work);
        TensorPrimitives.Exp(work, work);
        return row[target] - max - Math.Log(TensorPrimitives.Sum(work));
    }

    private static LanguageModelScore Score(double totalNats, long count, double charactersPerToken)
    {
        double nats = totalNats / count;
        return new LanguageModelScore(nats, nats / Math.Log(2) / charactersPerToken, Math.Exp(nats), count);
    }

    /// <summary>
    /// A chunk's logits [rows, V], targets [rows] and each target's place in the text (row r predicts
    /// tokens[positions[r] + 1]); returns false to stop reading.
    /// </summary>
    internal delegate bool ChunkVisitor(Tape tape, Variable logits, ReadOnlySpan<int> targets, ReadOnlySpan<int> positions);

    /// <summary>Each token is predicted from the ones before it, so a score needs at least 2.</summary>
    /// <exception cref="RecurrentDataException">Fewer than 2 tokens.</exception>
    internal static void RequireTwoTokens(int[] tokens)
    {
        if (tokens.Length < 2)
            throw new RecurrentDataException($"Evaluation needs at least 2 tokens; the text has {tokens.Length}.");
    }

    /// <summary>
    /// Reads <paramref name="tokens"/> as <see cref="Evaluate"/> does and hands each chunk to
    /// <paramref name="visit"/> (gradients off) until it returns false; returns the number of targets handed over,
    /// every one once when the visitor reads to the end.
    /// </summary>
    internal static long ForEachChunk(LanguageModelNetwork network, int[] tokens, ChunkVisitor visit)
    {
        RequireTwoTokens(tokens);
        int batch = Math.Clamp((tokens.Length - 1) / ChunkSteps, 1, 32);
        var streams = new TokenStreams(tokens, batch);
        int length = streams.StreamLength;
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        var inputs = new int[ChunkSteps * batch];
        var targets = new int[ChunkSteps * batch];
        var positions = new int[ChunkSteps * batch];
        CarriedState? state = WarmState(network, tokens, batch, length);
        long count = 0;
        for (int position = 0; position < length; position += ChunkSteps)
        {
            int steps = Math.Min(ChunkSteps, length - position);
            streams.Fill(position, steps, inputs.AsSpan(0, steps * batch), targets.AsSpan(0, steps * batch));
            for (int t = 0; t < steps; t++)
                for (int b = 0; b < batch; b++) positions[t * batch + b] = b * length + position + t;   // as TokenStreams.Fill lays them out
            var (logits, final) = network.Forward(tape, inputs.AsSpan(0, steps * batch), steps, batch, state?.AsState(), null);
            bool more = visit(tape, logits, targets.AsSpan(0, steps * batch), positions.AsSpan(0, steps * batch));
            count += steps * batch;
            state = CarriedState.CopyOf(final);
            tape.Reset();
            if (!more) return count;
        }
        // The streams cover B·L targets; the up to B − 1 left over continue the last stream, from its state.
        int rest = tokens.Length - 1 - batch * length;
        if (rest > 0)
        {
            int start = batch * length;
            var (logits, _) = network.Forward(tape, tokens.AsSpan(start, rest), rest, 1, state?.Row(batch - 1).AsState(), null);
            for (int r = 0; r < rest; r++) positions[r] = start + r;
            visit(tape, logits, tokens.AsSpan(start + 1, rest), positions.AsSpan(0, rest));
            count += rest;
            tape.Reset();
        }
        return count;
    }

    /// <summary>
    /// The state of each stream b ≥ 1 after reading the (up to) <see cref="ChunkSteps"/> tokens before its start
    /// b·L; stream 0 starts the text, from zeros. Null when there is one stream.
    /// </summary>
    private static CarriedState? WarmState(LanguageModelNetwork network, int[] tokens, int batch, int length)
    {
        if (batch == 1) return null;
        int warm = Math.Min(ChunkSteps, length), others = batch - 1;
        var inputs = new int[warm * others];
        for (int t = 0; t < warm; t++)
            for (int b = 1; b < batch; b++) inputs[t * others + b - 1] = tokens[b * length - warm + t];
        using var tape = new Tape { Training = false };
        using var noGrad = tape.NoGrad();
        var (_, final) = network.Forward(tape, inputs, warm, others, null, null);
        return CarriedState.Zeros(final.H.Value.Dim(0), batch, network.Shape.HiddenSize, final.C is not null).WithRows(1, final);
    }

    /// <summary>
    /// Scores <paramref name="tokens"/> one token at a time through the streaming decoder (the generation path),
    /// e.g. to measure what bfloat16 weights cost in quality. Slower than <see cref="Evaluate"/>.
    /// </summary>
    public static LanguageModelScore EvaluateStreaming(LanguageModelNetwork network, int[] tokens, double charactersPerToken, WeightPrecision precision,
        NGramMixture? mixture = null)
    {
        RequireTwoTokens(tokens);
        var decoder = new StreamingDecoder(network, precision);
        int v = network.Shape.VocabularySize;
        var logits = new float[v];
        var work = new float[v];
        using MixtureScoring? scoring = NGramMixture.Scoring(mixture, tokens);
        double totalNats = 0;
        for (int i = 0; i + 1 < tokens.Length; i++)
        {
            decoder.Step(tokens[i], logits);
            if (scoring is null)
            {
                totalNats -= LogProbability(logits, 0, tokens[i + 1], work);
                continue;
            }
            totalNats += scoring.Nats(logits, 0, tokens[i + 1], i);
        }
        return Score(totalNats, tokens.Length - 1, charactersPerToken);
    }
}
