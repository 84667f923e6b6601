// Honest classification metrics: accuracy, macro-F1 (the unweighted mean of per-class F1, so a rare class
// counts as much as a common one), per-class precision/recall/F1/support, and the confusion matrix
// (rows: true class, columns: predicted class). A class never predicted has precision 0 (and F1 0), as in
// scikit-learn's zero_division=0.
namespace Recurrent.Tasks.Classification;

/// <summary>Per-class figures.</summary>
public sealed record ClassScores(double Precision, double Recall, double F1, int Support);

/// <summary>Metrics of predictions against true labels.</summary>
public sealed record ClassificationMetrics(double Accuracy, double MacroF1, IReadOnlyList<ClassScores> PerClass, int[][] Confusion, int Examples)
{
    /// <summary>Computes the metrics for class indices in [0, <paramref name="classes"/>).</summary>
    public static ClassificationMetrics Compute(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classes)
    {
        if (predicted.Length != actual.Length)
            throw new ArgumentException($"ClassificationMetrics: {predicted.Length} predictions for {actual.Length} labels.");
        var confusion = new int[classes][];
        for (int c = 0; c < classes; c++) confusion[c] = new int[classes];
        int correct = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            confusion[actual[i]][predicted[i]]++;
            if (actual[i] == predicted[i]) correct++;
        }
        var perClass = new ClassScores[classes];
        double f1Sum = 0;
        for (int c = 0; c < classes; c++)
        {
            int truePositive = confusion[c][c], support = confusion[c].Sum(), predictedCount = 0;
            for (int r = 0; r < classes; r++) predictedCount += confusion[r][c];
            double precision = predictedCount == 0 ? 0 : (double)truePositive / predictedCount;
            double recall = support == 0 ? 0 : (double)truePositive / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassScores(precision, recall, f1, support);
            f1Sum += f1;
        }
        return new ClassificationMetrics(actual.Length == 0 ? 0 : (double)correct / actual.Length, classes == 0 ? 0 : f1Sum / classes, perClass, confusion, actual.Length);
    }
}
