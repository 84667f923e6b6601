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

    /// <summary>Loads a model folder: config.json and model.safetensors.</summary>
    /// <exception cref="RecurrentDataException">The folder or a file is missing, damaged, or does not match.</exception>
    public static LanguageModel Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new RecurrentDataException($"{folder}: model folder not found; pass the --out folder of 'rnn lm train'.");
        string configPath = Path.Combine(folder, RunFiles.Config);
        var config = LanguageModelConfig.FromJson(RunFiles.ReadJsonObject(configPath), configPath);
        var network = new LanguageModelNetwork(config.Shape, new Rng(0));
        string weightsPath = Path.Combine(folder, RunFiles.Model);
        if (!File.Exists(weightsPath))
            throw new RecurrentDataException($"{weightsPath}: file not found; training writes it at the first evaluation — train longer or pass another folder.");
        LoadWeights(network, SafeTensors.Read(weightsPath), weightsPath);
        return new LanguageModel(config, network);
    }

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
