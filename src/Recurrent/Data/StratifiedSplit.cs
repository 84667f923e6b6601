// A seeded stratified split: each class contributes the same fraction to the held-out part, so a rare class
// is represented in validation.
using Recurrent.Tensors;

namespace Recurrent.Data;

public static class StratifiedSplit
{
    /// <summary>Indices of the kept and held-out examples; at least one per class is held out when the class has two or more.</summary>
    public static (int[] Keep, int[] HeldOut) Split(IReadOnlyList<string> labels, double fraction, ulong seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be in (0, 1).");
        var rng = new Rng(seed);
        var keep = new List<int>();
        var held = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int[] members = group.ToArray();
            for (int i = members.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (members[i], members[j]) = (members[j], members[i]);
            }
            int take = members.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(members.Length * fraction));
            held.AddRange(members[..take]);
            keep.AddRange(members[take..]);
        }
        keep.Sort();
        held.Sort();
        return (keep.ToArray(), held.ToArray());
    }
}
