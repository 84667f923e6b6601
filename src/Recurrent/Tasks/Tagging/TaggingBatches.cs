// Padded batches of encoded sequences for the tagger: word ids [T, B] and tag targets [T·B] (the ignore
// index −100 past each sequence's end, so padding adds nothing to the loss), plus the characters of every
// position for the character encoder. The epoch plan (length bucketing) is the classifier's.
using Recurrent.Data;
using Recurrent.Tasks.Classification;

namespace Recurrent.Tasks.Tagging;

/// <summary>One batch: the network's input, the targets [T·B] (row t·B + b), and the sequences' indices.</summary>
public sealed record TaggingBatch(TaggerInput Input, int[] Targets, int[] Indices);

public static class TaggingBatches
{
    /// <summary>The target of a padded position, ignored by the loss.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>Batches in the given order (evaluation and prediction).</summary>
    public static IEnumerable<TaggingBatch> InOrder(IReadOnlyList<EncodedSequence> data, int batchSize, bool characters)
    {
        for (int start = 0; start < data.Count; start += batchSize)
            yield return Build(data, Enumerable.Range(start, Math.Min(batchSize, data.Count - start)).ToArray(), characters);
    }

    /// <summary>Builds the batch of the sequences at <paramref name="indices"/>.</summary>
    public static TaggingBatch Build(IReadOnlyList<EncodedSequence> data, int[] indices, bool characters)
    {
        int b = indices.Length, steps = indices.Max(i => data[i].Words.Length);
        var words = new int[steps * b];
        var targets = new int[steps * b];
        var lengths = new int[b];
        for (int j = 0; j < b; j++)
        {
            EncodedSequence s = data[indices[j]];
            lengths[j] = s.Words.Length;
            for (int t = 0; t < steps; t++)
            {
                bool inside = t < s.Words.Length;
                words[t * b + j] = inside ? s.Words[t] : Vocabulary.PadId;
                targets[t * b + j] = inside && s.Tags.Length > 0 ? s.Tags[t] : IgnoreIndex;
            }
        }
        int[]? chars = null, charLengths = null;
        int wordChars = 0;
        if (characters)
        {
            int n = steps * b;
            charLengths = new int[n];
            for (int j = 0; j < b; j++)
            {
                EncodedSequence s = data[indices[j]];
                for (int t = 0; t < s.Words.Length; t++) charLengths[t * b + j] = s.Characters[t].Length;
            }
            wordChars = Math.Max(1, charLengths.Max());
            chars = new int[wordChars * n];
            for (int j = 0; j < b; j++)
            {
                EncodedSequence s = data[indices[j]];
                for (int t = 0; t < s.Words.Length; t++)
                    for (int c = 0; c < s.Characters[t].Length; c++) chars[c * n + t * b + j] = s.Characters[t][c];
            }
        }
        return new TaggingBatch(new TaggerInput(words, steps, b, lengths, chars, wordChars, charLengths), targets, indices);
    }

    /// <summary>The training plan of one epoch: the classifier's seeded, length-bucketed batches.</summary>
    public static int[][] PlanEpoch(IReadOnlyList<EncodedSequence> data, int batchSize, Tensors.Rng rng) =>
        ClassificationBatches.PlanEpoch(data.Select(s => s.Words).ToArray(), batchSize, rng);
}
