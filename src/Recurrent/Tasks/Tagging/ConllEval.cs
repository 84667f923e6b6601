// Span (chunk) precision, recall and F1 computed exactly as conlleval.pl (CoNLL-2000/2003, version
// 2004-01-26) does. A tag splits at its first hyphen into a chunk tag and a type ("B-PER" → B, PER; a tag
// without a hyphen has the empty type). Chunks start and end by the script's startOfChunk/endOfChunk rules,
// which read IOB1, IOB2 (BIO) and IOE tags alike; a chunk counts as correct only when gold and guess start
// together with the same type and end together. Sequence boundaries act as an O/O line. With raw tags
// (conlleval -r) every tag other than O becomes "B-tag", so each token is a chunk of its own: span F1 is then
// the micro F1 over the non-O tags. Token accuracy counts a token correct when chunk tag and type both match.
namespace Recurrent.Tasks.Tagging;

/// <summary>Figures of one chunk type.</summary>
public sealed record SpanScores(double Precision, double Recall, double F1, int Support);

/// <summary>conlleval's figures: token accuracy, overall span precision/recall/F1 and per type.</summary>
public sealed record SpanMetrics(double TokenAccuracy, double Precision, double Recall, double F1, int Tokens,
    int GoldChunks, int GuessedChunks, int CorrectChunks, IReadOnlyDictionary<string, SpanScores> PerType)
{
    /// <summary>Scores guessed tags against gold tags, sequence by sequence.</summary>
    /// <param name="sequences">Gold and guessed tags of each sequence (same lengths).</param>
    /// <param name="raw">conlleval -r: every tag other than O is a one-token chunk.</param>
    /// <exception cref="ArgumentException">A sequence's gold and guessed tags differ in length.</exception>
    public static SpanMetrics Compute(IEnumerable<(IReadOnlyList<string> Gold, IReadOnlyList<string> Guess)> sequences, bool raw = false)
    {
        var counter = new ChunkCounter();
        foreach (var (gold, guess) in sequences)
        {
            if (gold.Count != guess.Count)
                throw new ArgumentException($"SpanMetrics: a sequence has {gold.Count} gold tags but {guess.Count} guessed tags.");
            for (int i = 0; i < gold.Count; i++)
                counter.Add(Parse(gold[i], raw), Parse(guess[i], raw), boundary: false);
            counter.Add(("O", ""), ("O", ""), boundary: true);
        }
        return counter.Finish();
    }

    /// <summary>conlleval's split of a tag into chunk tag and type (at the first hyphen; perl's false "0" type becomes empty).</summary>
    public static (string Tag, string Type) Parse(string tag, bool raw)
    {
        if (raw && tag != "O") tag = "B-" + tag;
        int hyphen = tag.IndexOf('-');
        if (hyphen < 0) return (tag, "");
        string type = tag[(hyphen + 1)..];
        return (tag[..hyphen], type == "0" ? "" : type);
    }

    /// <summary>conlleval's endOfChunk: whether a chunk ended between the previous and the current token.</summary>
    public static bool EndOfChunk(string prevTag, string tag, string prevType, string type) =>
        (prevTag, tag) is ("B", "B") or ("B", "O") or ("I", "B") or ("I", "O") or ("E", "E") or ("E", "I") or ("E", "O")
        || (prevTag != "O" && prevTag != "." && prevType != type)
        || prevTag is "]" or "[";

    /// <summary>conlleval's startOfChunk: whether a chunk started between the previous and the current token.</summary>
    public static bool StartOfChunk(string prevTag, string tag, string prevType, string type) =>
        (prevTag, tag) is ("B", "B") or ("I", "B") or ("O", "B") or ("O", "I") or ("E", "E") or ("E", "I") or ("O", "E")
        || (tag != "O" && tag != "." && prevType != type)
        || tag is "[" or "]";

    /// <summary>The main loop of conlleval.pl, one token at a time.</summary>
    private sealed class ChunkCounter
    {
        private readonly Dictionary<string, int> _correct = [], _gold = [], _guessed = [];
        private (string Tag, string Type) _lastGold = ("O", ""), _lastGuess = ("O", "");
        private bool _inCorrect;
        private int _correctChunks, _goldChunks, _guessedChunks, _correctTags, _tokens;

        public void Add((string Tag, string Type) gold, (string Tag, string Type) guess, bool boundary)
        {
            bool goldEnd = EndOfChunk(_lastGold.Tag, gold.Tag, _lastGold.Type, gold.Type);
            bool guessEnd = EndOfChunk(_lastGuess.Tag, guess.Tag, _lastGuess.Type, guess.Type);
            if (_inCorrect)
            {
                if (goldEnd && guessEnd && _lastGuess.Type == _lastGold.Type)
                {
                    _inCorrect = false;
                    _correctChunks++;
                    Increment(_correct, _lastGold.Type);
                }
                else if (goldEnd != guessEnd || guess.Type != gold.Type) _inCorrect = false;
            }
            bool goldStart = StartOfChunk(_lastGold.Tag, gold.Tag, _lastGold.Type, gold.Type);
            bool guessStart = StartOfChunk(_lastGuess.Tag, guess.Tag, _lastGuess.Type, guess.Type);
            if (goldStart && guessStart && guess.Type == gold.Type) _inCorrect = true;
            if (goldStart)
            {
                _goldChunks++;
                Increment(_gold, gold.Type);
            }
            if (guessStart)
            {
                _guessedChunks++;
                Increment(_guessed, guess.Type);
            }
            if (!boundary)
            {
                if (gold == guess) _correctTags++;
                _tokens++;
            }
            (_lastGold, _lastGuess) = (gold, guess);
        }

        public SpanMetrics Finish()
        {
            if (_inCorrect)
            {
                _correctChunks++;
                Increment(_correct, _lastGold.Type);
                _inCorrect = false;
            }
            var (precision, recall, f1) = Scores(_correctChunks, _guessedChunks, _goldChunks);
            var perType = new SortedDictionary<string, SpanScores>(StringComparer.Ordinal);
            foreach (string type in _gold.Keys.Concat(_guessed.Keys).Distinct())
            {
                if (type.Length == 0) continue; // chunks without a type (a bare "B") have no row of their own
                var (p, r, f) = Scores(_correct.GetValueOrDefault(type), _guessed.GetValueOrDefault(type), _gold.GetValueOrDefault(type));
                perType[type] = new SpanScores(p, r, f, _gold.GetValueOrDefault(type));
            }
            return new SpanMetrics(_tokens == 0 ? 0 : (double)_correctTags / _tokens, precision, recall, f1, _tokens,
                _goldChunks, _guessedChunks, _correctChunks, perType);
        }

        private static (double, double, double) Scores(int correct, int guessed, int gold)
        {
            double precision = guessed == 0 ? 0 : (double)correct / guessed, recall = gold == 0 ? 0 : (double)correct / gold;
            return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall));
        }

        private static void Increment(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
