// config.json of a tagger folder: word and character vocabularies, the tag set, how spans are read for
// evaluation, and the network's shape, with a format version. Also the encoding of sequences to ids.
using System.Text;
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Nn;
using Recurrent.Tasks.LanguageModel;

namespace Recurrent.Tasks.Tagging;

/// <summary>A sequence as ids: word ids [T], the character ids of each token, and tag ids [T] (empty when untagged).</summary>
public sealed record EncodedSequence(int[] Words, int[][] Characters, int[] Tags);

/// <summary>What config.json says about a tagger.</summary>
/// <param name="Words">Token vocabulary (tokens compared as written, or lower-cased when <paramref name="Lowercase"/>).</param>
/// <param name="Characters">Character vocabulary of the character encoder (characters as written).</param>
/// <param name="Tags">The tag set, in output order.</param>
/// <param name="Lowercase">Lower-case tokens before looking them up in <paramref name="Words"/>.</param>
/// <param name="RawSpans">Score spans as conlleval -r (every tag but O is a one-token chunk).</param>
/// <param name="Shape">The network.</param>
public sealed record TaggingConfig(Vocabulary Words, Vocabulary Characters, IReadOnlyList<string> Tags, bool Lowercase, bool RawSpans, TaggerShape Shape)
{
    public const int FormatVersion = 1;
    public const string TaskName = "tag";

    /// <summary>Characters read per token by the character encoder (the rest of a longer token is ignored).</summary>
    public const int MaxTokenCharacters = 24;

    /// <summary>Whether tags read as chunks (B-X, I-X, E-X, S-X, O) or as plain labels; plain labels are scored as conlleval -r.</summary>
    public static bool LooksRaw(IEnumerable<string> tags) => !tags.All(t => t == "O" || (t.Length > 2 && t[1] == '-' && "BIES".Contains(t[0])));

    /// <summary>Encodes a sequence; a tag the model does not know is an error naming where the sequence is.</summary>
    /// <exception cref="RecurrentDataException">A gold tag is not in <see cref="Tags"/>.</exception>
    public EncodedSequence Encode(TaggedSequence sequence)
    {
        int[] words = Words.Encode(sequence.Tokens.Select(t => Lowercase ? t.ToLowerInvariant() : t), out _);
        int[][] characters = sequence.Tokens.Select(EncodeCharacters).ToArray();
        int[] tags = [];
        if (sequence.Tags is not null)
        {
            tags = new int[sequence.Tags.Length];
            for (int i = 0; i < tags.Length; i++)
            {
                tags[i] = IndexOfTag(sequence.Tags[i]);
                if (tags[i] < 0)
                    throw new RecurrentDataException($"{sequence.Source}: token {i + 1} has the tag '{sequence.Tags[i]}', which the model does not know " +
                        $"(its tags: {string.Join(", ", Tags.Take(20))}{(Tags.Count > 20 ? ", …" : "")}).");
            }
        }
        return new EncodedSequence(words, characters, tags);
    }

    private int IndexOfTag(string tag)
    {
        for (int i = 0; i < Tags.Count; i++) if (Tags[i] == tag) return i;
        return -1;
    }

    /// <summary>The character ids of a token (at most <see cref="MaxTokenCharacters"/>), by Unicode scalar value.</summary>
    public int[] EncodeCharacters(string token)
    {
        var ids = new List<int>(Math.Min(token.Length, MaxTokenCharacters));
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (ids.Count == MaxTokenCharacters) break;
            ids.Add(Characters.IdOf(rune.ToString()));
        }
        return [.. ids];
    }

    public JsonObject ToJson(JsonObject? training = null) => new()
    {
        ["format_version"] = FormatVersion,
        ["task"] = TaskName,
        ["lowercase"] = Lowercase,
        ["spans"] = RawSpans ? "raw" : "chunks",
        ["tags"] = new JsonArray(Tags.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        ["model"] = new JsonObject
        {
            ["representation"] = RepresentationName(Shape.Representation),
            ["cell"] = LanguageModelConfig.CellName(Shape.Cell),
            ["vocab_size"] = Shape.VocabularySize,
            ["char_vocab_size"] = Shape.CharacterVocabularySize,
            ["embedding_size"] = Shape.EmbeddingSize,
            ["char_embedding_size"] = Shape.CharacterEmbeddingSize,
            ["char_hidden_size"] = Shape.CharacterHiddenSize,
            ["hidden_size"] = Shape.HiddenSize,
            ["layers"] = Shape.Layers,
            ["bidirectional"] = Shape.Bidirectional,
            ["dropout"] = Shape.Dropout,
        },
        ["training"] = training?.DeepClone(),
        ["vocabulary"] = new JsonArray(Words.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
        ["characters"] = new JsonArray(Characters.Tokens.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray()),
    };

    /// <exception cref="RecurrentDataException">Missing fields, another task or version, inconsistent sizes.</exception>
    public static TaggingConfig FromJson(JsonObject o, string path)
    {
        try
        {
            ModelConfigHeader.Check(o, path, TaskName, FormatVersion, "a tagger");
            var words = Vocabulary.FromTokens(o["vocabulary"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            var characters = Vocabulary.FromTokens(o["characters"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(), path);
            string[] tags = o["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray();
            JsonObject m = o["model"]!.AsObject();
            var shape = new TaggerShape(m["vocab_size"]!.GetValue<int>(), m["char_vocab_size"]!.GetValue<int>(), tags.Length,
                ParseRepresentation(m["representation"]!.GetValue<string>()), LanguageModelConfig.ParseCell(m["cell"]!.GetValue<string>(), path),
                m["embedding_size"]!.GetValue<int>(), m["char_embedding_size"]!.GetValue<int>(), m["char_hidden_size"]!.GetValue<int>(),
                m["hidden_size"]!.GetValue<int>(), m["layers"]!.GetValue<int>(), m["bidirectional"]!.GetValue<bool>(), m["dropout"]!.GetValue<float>());
            if (shape.VocabularySize != words.Count || shape.CharacterVocabularySize != characters.Count)
                throw new RecurrentDataException($"{path}: vocab_size {shape.VocabularySize} and char_vocab_size {shape.CharacterVocabularySize} do not match " +
                    $"the {words.Count} words and {characters.Count} characters listed.");
            shape.Validate();
            return new TaggingConfig(words, characters, tags, o["lowercase"]!.GetValue<bool>(), o["spans"]!.GetValue<string>() == "raw", shape);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new RecurrentDataException($"{path}: a field is missing or invalid ({e.Message}).", e);
        }
    }

    public static string RepresentationName(TokenRepresentation r) => r switch
    {
        TokenRepresentation.Word => "word",
        TokenRepresentation.Character => "char",
        _ => "both",
    };

    public static TokenRepresentation ParseRepresentation(string name) => name switch
    {
        "word" => TokenRepresentation.Word,
        "char" => TokenRepresentation.Character,
        "both" => TokenRepresentation.Both,
        _ => throw new ArgumentException($"--embedding must be word, char or both; got '{name}'."),
    };
}
