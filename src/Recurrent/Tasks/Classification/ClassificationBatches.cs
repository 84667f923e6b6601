// Padded, time-major batches of token ids with their lengths. Training groups texts of similar length
// (length bucketing: sort within windows of 50 batches, then shuffle the batches) so little time is spent on
// padding; evaluation keeps the given order.
using Recurrent.Data;
using Recurrent.Tensors;

namespace Recurrent.Tasks.Classification;

/// <summary>One batch: tokens [T, B] time-major (padded with &lt;pad&gt;), lengths [B], and the texts' indices.</summary>
public sealed record ClassificationBatch(int[] Tokens, int Steps, int Size, int[] Lengths, int[] Indices);

public static class ClassificationBatches
{
    /// <summary>Batches in the given order (for evaluation and prediction).</summary>
    public static IEnumerable<ClassificationBatch> InOrder(IReadOnlyList<int[]> texts, int batchSize)
    {
        for (int start = 0; start < texts.Count; start += batchSize)
            yield return Build(texts, Enumerable.Range(start, Math.Min(batchSize, texts.Count - start)).ToArray());
    }

    /// <summary>The batch plan of one training epoch: a seeded shuffle, sorted by length within windows, batches shuffled.</summary>
    public static int[][] PlanEpoch(IReadOnlyList<int[]> texts, int batchSize, Rng rng)
    {
        int[] order = Enumerable.Range(0, texts.Count).ToArray();
        Shuffle(order, rng);
        int window = batchSize * 50;
        for (int start = 0; start < order.Length; start += window)
        {
            int n = Math.Min(window, order.Length - start);
            Array.Sort(order, start, n, Comparer<int>.Create((a, b) => texts[a].Length != texts[b].Length ? texts[a].Length.CompareTo(texts[b].Length) : a.CompareTo(b)));
        }
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += batchSize)
            batches.Add(order[start..Math.Min(order.Length, start + batchSize)]);
        int[][] plan = batches.ToArray();
        Shuffle(plan, rng);
        return plan;
    }

    public static ClassificationBatch Build(IReadOnlyList<int[]> texts, int[] indices)
    {
        int b = indices.Length, steps = indices.Max(i => texts[i].Length);
        var tokens = new int[steps * b];
        var lengths = new int[b];
        for (int j = 0; j < b; j++)
        {
            int[] ids = texts[indices[j]];
            lengths[j] = ids.Length;
            for (int t = 0; t < steps; t++) tokens[t * b + j] = t < ids.Length ? ids[t] : Vocabulary.PadId;
        }
        return new ClassificationBatch(tokens, steps, b, lengths, indices);
    }

    private static void Shuffle<T>(T[] items, Rng rng)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
