// Padded, time-major batches of (source, target) id pairs. Training groups pairs of similar source length
// (the length bucketing of ClassificationBatches.PlanEpoch) so little time goes to padding.
using Recurrent.Data;

namespace Recurrent.Tasks.Seq2Seq;

/// <summary>Encoded pairs: source ids and target ids (without begin/end tokens), one pair per training example.</summary>
public sealed record EncodedPairs(IReadOnlyList<int[]> Sources, IReadOnlyList<int[]> Targets);

/// <summary>A batch. Legend: S source steps, T = longest target + 1 (the end token), B batch.</summary>
/// <param name="Source">[S, B] source ids, padded with &lt;pad&gt;.</param>
/// <param name="SourceSteps">S.</param>
/// <param name="SourceLengths">[B] source lengths.</param>
/// <param name="Targets">[T, B] target ids followed by &lt;eos&gt;, padded with &lt;pad&gt; (ignored by the loss).</param>
/// <param name="TargetSteps">T.</param>
/// <param name="Indices">[B] which pairs the rows hold.</param>
public sealed record Seq2SeqBatch(int[] Source, int SourceSteps, int[] SourceLengths, int[] Targets, int TargetSteps, int[] Indices)
{
    /// <summary>B.</summary>
    public int Size => Indices.Length;

    /// <summary>Number of target tokens the loss counts (end tokens included).</summary>
    public int TargetTokens => Targets.Count(t => t != Vocabulary.PadId);
}

/// <summary>Builds batches of pairs.</summary>
public static class Seq2SeqBatches
{
    /// <summary>The batch of pairs <paramref name="indices"/>; sources must be non-empty.</summary>
    public static Seq2SeqBatch Build(EncodedPairs pairs, int[] indices)
    {
        int b = indices.Length;
        int s = indices.Max(i => pairs.Sources[i].Length), t = indices.Max(i => pairs.Targets[i].Length) + 1;
        var source = new int[s * b];
        var lengths = new int[b];
        var targets = new int[t * b];
        for (int j = 0; j < b; j++)
        {
            int[] src = pairs.Sources[indices[j]], tgt = pairs.Targets[indices[j]];
            lengths[j] = src.Length;
            for (int k = 0; k < src.Length; k++) source[k * b + j] = src[k];
            for (int k = 0; k < tgt.Length; k++) targets[k * b + j] = tgt[k];
            targets[tgt.Length * b + j] = Vocabulary.EosId;
        }
        return new Seq2SeqBatch(source, s, lengths, targets, t, indices);
    }

    /// <summary>Consecutive batches of the sources in order (for evaluation); targets may be empty arrays.</summary>
    public static IEnumerable<int[]> InOrder(int count, int batchSize)
    {
        for (int start = 0; start < count; start += batchSize)
            yield return Enumerable.Range(start, Math.Min(batchSize, count - start)).ToArray();
    }
}
