// A trained language model as a user holds it: network, vocabulary and tokenizer, loaded from a model
// folder (config.json + model.safetensors) or created for training.
using System.Text.Json.Nodes;
using Recurrent.Data;
using Recurrent.Interop;
using Recurrent.Nn;
using Recurrent.Tensors;
using Recurrent.Training;

namespace Recurrent.Tasks.LanguageModel;

/// <summary>A language model with its vocabulary and tokenizer.</summary>
public sealed class LanguageModel
{
    public LanguageModel(LanguageModelConfig config, LanguageModelNetwork network)
    {
        Config = config;
        Network = network;
        Tokenizer = Tokenizers.Create(config.Tokenizer);
    }

    public LanguageModelConfig Config { get; }
    public LanguageModelNetwork Network { get; }
    public ITokenizer Tokenizer { get; }
    public Vocabulary Vocabulary => Config.Vocabulary;

    /// <summary>The n-gram model mixed with the network (loaded from ngram.txt and config.json "ngram"), or null for the network alone.</summary>
    public NGramMixture? NGram { get; set; }

    /// <summary>Characters of a training text an n-gram memory keeps at most (its start): ~100 bytes of counts each at order 8.</summary>
    public const int MaxNGramCharacters = 4 << 20;

    /// <summary>
    /// The largest vocabulary whose n-gram mixture is fitted as a product (see <see cref="NGramMixture"/>), which reads
    /// both models' whole distributions; larger ones (word models) keep the linear mixture.
    /// </summary>
    public const int ProductVocabularyLimit = 1024;

    /// <summary>The n-gram order used unless told otherwise: 8 characters, or 3 words.</summary>
    public static int DefaultNGramOrder(TokenizerKind tokenizer) => tokenizer == TokenizerKind.Character ? 8 : 3;

    /// <summary>
    /// Loads a model folder: config.json and model.safetensors, and the n-gram mixture config.json describes
    /// (counted from ngram.txt) unless <paramref name="withNGram"/> is false.
    /// </summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing, damaged, or does not match.</exception>
    public static LanguageModel Load(string folder, bool withNGram = true)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn lm train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        JsonObject json = RunFiles.ReadJsonObject(configPath);
        var config = LanguageModelConfig.FromJson(json, configPath);
        var network = new LanguageModelNetwork(config.Shape, new Rng(0));
        string weightsPath = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weightsPath))
            throw new RecurrentDataException($"{weightsPath}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LoadWeights(network, SafeTensors.Read(weightsPath), weightsPath);
        var model = new LanguageModel(config, network);
        if (withNGram) model.NGram = model.LoadNGram(folder, json, configPath);
        return model;
    }

    /// <summary>The n-gram mixture config.json describes, counted from ngram.txt; null when there is none.</summary>
    private NGramMixture? LoadNGram(string folder, JsonObject config, string configPath)
    {
        if (config["ngram"] is not JsonObject entry) return null;
        int order;
        double weight;
        try
        {
            order = entry["order"]!.GetValue<int>();
            weight = entry["weight"]!.GetValue<double>();
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new RecurrentDataException($"{configPath}: \"ngram\" needs a whole-number \"order\" and a numeric \"weight\" ({e.Message}).", e);
        }
        if (order < 1 || order > NGramModel.MaxOrder || !(weight >= 0 && weight <= 1))
            throw new RecurrentDataException($"{configPath}: \"ngram\" has order {order} and weight {weight}; expected an order in [1, {NGramModel.MaxOrder}] and a weight in [0, 1].");
        // Folders written before Kneser-Ney became the default name no smoothing: their weights were fitted with Witten-Bell.
        NGramSmoothing smoothing = NGramSmoothing.WittenBell;
        if (entry["smoothing"] is { } named)
        {
            string? name = named is JsonValue value && value.TryGetValue(out string? text) ? text : null;
            smoothing = SmoothingFromName(name)
                ?? throw new RecurrentDataException($"{configPath}: \"ngram\".\"smoothing\" is {named.ToJsonString()}; expected \"{SmoothingName(NGramSmoothing.KneserNey)}\" or \"{SmoothingName(NGramSmoothing.WittenBell)}\".");
        }
        MixtureExponents? exponents = null;
        if (entry["product"] is { } product)
        {
            try
            {
                exponents = new MixtureExponents(product["network"]!.GetValue<double>(), product["ngram"]!.GetValue<double>(), product["linear"]!.GetValue<double>());
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new RecurrentDataException($"{configPath}: \"ngram\".\"product\" needs numeric \"network\", \"ngram\" and \"linear\" exponents ({e.Message}).", e);
            }
            if (!exponents.IsFinite)
                throw new RecurrentDataException($"{configPath}: \"ngram\".\"product\" has an exponent that is not a finite number.");
        }
        string textPath = Path.Combine(folder, RunFiles.NGramText);
        if (!File.Exists(textPath))
            throw new RecurrentDataException($"{textPath}: file not found; config.json mixes in an n-gram model counted from it. Restore it, or remove \"ngram\" from config.json to use the network alone.");
        var counts = new NGramModel(Vocabulary.Count, order, smoothing);
        counts.Add(Encode(TextFile.ReadUtf8(textPath), out _));
        return new NGramMixture(counts, weight, exponents);
    }

    /// <summary>config.json's name of a smoothing.</summary>
    public static string SmoothingName(NGramSmoothing smoothing) => smoothing == NGramSmoothing.KneserNey ? "kneser-ney" : "witten-bell";

    private static NGramSmoothing? SmoothingFromName(string? name) => name switch
    {
        "kneser-ney" => NGramSmoothing.KneserNey,
        "witten-bell" => NGramSmoothing.WittenBell,
        _ => null,
    };

    /// <summary>Copies tensors into the module's parameters by name, checking names and shapes.</summary>
    public static void LoadWeights(IModule module, SafeTensorsFile file, string path)
    {
        foreach (var (name, parameter) in module.NamedParameters())
        {
            if (!file.Contains(name))
                throw new RecurrentDataException($"{path}: tensor '{name}' is missing; the weights do not belong to this model.");
            Tensor saved = file[name];
            if (!saved.SameShape(parameter.Value))
                throw new RecurrentDataException($"{path}: tensor '{name}' is {saved.ShapeText} but config.json implies {parameter.Value.ShapeText}.");
            saved.Span.CopyTo(parameter.Value.Span);
        }
    }

    /// <summary>
    /// Fits a softmax temperature to held-out text (<see cref="TemperatureCalibration"/>) for this model, loaded
    /// from <paramref name="folder"/>, and, unless the fit is τ = 1, folds it into the decoder: model.safetensors
    /// is rewritten, then config.json records the temperature applied so far (the product over calibrations)
    /// under "calibration". Both writes are atomic.
    /// </summary>
    /// <exception cref="RecurrentDataException">The text has fewer than 2 tokens, or config.json cannot be read.</exception>
    public TemperatureFit CalibrateInFolder(string folder, string heldOutText)
    {
        int[] ids = Encode(heldOutText, out _);
        TemperatureFit fit = TemperatureCalibration.Fit(Network, ids, CharactersPerToken(heldOutText, ids.Length));
        if (fit.Temperature == 1.0) return fit;
        TemperatureCalibration.Apply(Network, fit.Temperature);
        SafeTensors.Write(Path.Combine(folder, RunFiles.Model),
            Network.NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Parameter.Value)).ToList());
        string configPath = Path.Combine(folder, RunFiles.Config);
        JsonObject config = RunFiles.ReadJsonObject(configPath);
        double earlier = config["calibration"] is JsonObject calibration && calibration["temperature"] is JsonValue t && t.TryGetValue(out double tau) && tau > 0 ? tau : 1.0;
        config["calibration"] = new JsonObject
        {
            ["temperature"] = Math.Round(earlier * fit.Temperature, 6),
            ["last_fit"] = new JsonObject
            {
                ["temperature"] = Math.Round(fit.Temperature, 6),
                ["tokens"] = fit.Before.Tokens,
                ["loss_before"] = Math.Round(fit.Before.Loss, 6),
                ["loss_after"] = Math.Round(fit.After.Loss, 6),
            },
        };
        RunFiles.WriteJsonAtomic(configPath, config);
        return fit;
    }

    /// <summary>
    /// Counts an n-gram model of <paramref name="order"/> on (the first <see cref="MaxNGramCharacters"/> characters
    /// of) <paramref name="memoryText"/>, fits its weight in the mixture to <paramref name="heldOutText"/>
    /// (<see cref="NGramMixture.Fit"/>) and saves both to the model folder: ngram.txt (the text counted), then
    /// config.json's "ngram". Replaces an n-gram model the folder had. Both writes are atomic. With
    /// <paramref name="countHeldOut"/> the held-out text, once the weight is fitted, is counted too (appended to the
    /// memory text, which it must continue): training's validation tail is part of the user's training text, and
    /// the end of a text is what its continuation resembles most.
    /// </summary>
    /// <exception cref="RecurrentDataException">The held-out text has fewer than 2 tokens, or config.json cannot be read.</exception>
    public NGramFit AttachNGramInFolder(string folder, string memoryText, int order, string heldOutText, bool countHeldOut = false)
    {
        string counted = TextFile.Prefix(memoryText, MaxNGramCharacters);
        var counts = new NGramModel(Vocabulary.Count, order);
        counts.Add(Encode(counted, out _));
        NGramFit fit = FitNGram(counts, heldOutText);
        if (countHeldOut && counted.Length == memoryText.Length)
        {
            counted = TextFile.Prefix(memoryText + heldOutText, MaxNGramCharacters);
            counts = new NGramModel(Vocabulary.Count, order, counts.Smoothing);     // counted as one text, as loading counts ngram.txt
            counts.Add(Encode(counted, out _));
            NGram = new NGramMixture(counts, NGram!.Weight, NGram.Exponents);
        }
        RunFiles.WriteTextAtomic(Path.Combine(folder, RunFiles.NGramText), counted);
        WriteNGramEntry(folder);
        return fit;
    }

    /// <summary>Fits the weight of the model's n-gram mixture again, to <paramref name="heldOutText"/>, and records it in config.json; null when the model has none.</summary>
    /// <exception cref="RecurrentDataException">The held-out text has fewer than 2 tokens, or config.json cannot be read.</exception>
    public NGramFit? RefitNGramInFolder(string folder, string heldOutText)
    {
        if (NGram is null) return null;
        NGramFit fit = FitNGram(NGram.Model, heldOutText);
        WriteNGramEntry(folder);
        return fit;
    }

    /// <summary>Fits the weight of <paramref name="counts"/> in the mixture to held-out text and makes that the model's mixture.</summary>
    private NGramFit FitNGram(NGramModel counts, string heldOutText)
    {
        int[] ids = Encode(heldOutText, out _);
        NGramFit fit = NGramMixture.Fit(Network, counts, ids, CharactersPerToken(heldOutText, ids.Length), product: Vocabulary.Count <= ProductVocabularyLimit);
        NGram = new NGramMixture(counts, Math.Round(fit.Weight, 6), fit.Exponents);     // as config.json keeps them
        return fit;
    }

    private void WriteNGramEntry(string folder)
    {
        string configPath = Path.Combine(folder, RunFiles.Config);
        JsonObject config = RunFiles.ReadJsonObject(configPath);
        config["ngram"] = new JsonObject
        {
            ["order"] = NGram!.Model.Order,
            ["smoothing"] = SmoothingName(NGram.Model.Smoothing),
            ["weight"] = NGram.Weight,
            ["tokens"] = NGram.Model.Tokens,
            ["text"] = RunFiles.NGramText,
        };
        if (NGram.Exponents is { } e)
            config["ngram"]!["product"] = new JsonObject { ["network"] = e.Network, ["ngram"] = e.NGram, ["linear"] = e.Linear };
        RunFiles.WriteJsonAtomic(configPath, config);
    }

    /// <summary>Characters (Unicode scalar values) of <paramref name="text"/> per token of its encoding: converts bits per token to bits per character.</summary>
    public static double CharactersPerToken(string text, int tokens)
    {
        int characters = 0;
        foreach (var _ in text.EnumerateRunes()) characters++;
        return (double)characters / Math.Max(1, tokens);
    }

    /// <summary>Token ids of a text (unknown tokens become &lt;unk&gt;).</summary>
    public int[] Encode(string text, out int unknown) => Vocabulary.Encode(Tokenizer.Split(text), out unknown);
}
