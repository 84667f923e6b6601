// A trained language model as a user holds it: network, vocabulary and tokenizer, loaded from a model
// folder (config.json + model.safetensors) or created for training.
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

    /// <summary>Token ids of a text (unknown tokens become &lt;unk&gt;).</summary>
    public int[] Encode(string text, out int unknown) => Vocabulary.Encode(Tokenizer.Split(text), out unknown);
}
