using System.Text.Json;
using Google.Protobuf;
using Onnx;
using Recurrent.Tasks.Captioning;

namespace Recurrent.Tests.Cli;

[Collection(GlobalStateCollection.Name)]
public sealed class CaptionCliTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "recurrent-capcli-" + Guid.NewGuid().ToString("N"));

    public CaptionCliTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void MakeShapes_TrainOnPixels_EvalPredictResume()
    {
        string data = Path.Combine(_root, "shapes"), dir = Path.Combine(_root, "run");
        var (code, _, error) = CliRun.Invoke("caption", "make-shapes", "--out", data, "--count", "40", "--test-count", "6", "--size", "16");
        Assert.True(code == 0, error);
        Assert.Equal(46, Directory.GetFiles(Path.Combine(data, "images"), "*.png").Length);
        Assert.Equal(40, CaptionsReader.Read(Path.Combine(data, "captions.txt")).Count);
        // A second run into the same folder is refused and changes nothing.
        byte[] captions = File.ReadAllBytes(Path.Combine(data, "captions.txt"));
        var (again, _, againError) = CliRun.Invoke("caption", "make-shapes", "--out", data, "--count", "5", "--test-count", "1", "--size", "16");
        Assert.Equal(2, again);
        Assert.Contains("it already holds captions.txt, test_captions.txt, images", againError);
        Assert.Equal(captions, File.ReadAllBytes(Path.Combine(data, "captions.txt")));
        Assert.Equal(46, Directory.GetFiles(Path.Combine(data, "images"), "*.png").Length);

        (code, _, error) = CliRun.Invoke("caption", "train", "--data", Path.Combine(data, "captions.txt"), "--images", Path.Combine(data, "images"), "--out", dir,
            "--image-size", "16", "--patch", "8", "--attention", "bahdanau", "--hidden", "12", "--embed", "6", "--attention-size", "5", "--steps", "6", "--eval-every", "3");
        Assert.True(code == 0, error);
        foreach (string file in new[] { "config.json", "model.safetensors", "trainer.json", "metrics.jsonl", "loss.png" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");
        (code, _, error) = CliRun.Invoke("caption", "train", "--resume", dir, "--steps", "8");
        Assert.True(code == 0, error);
        Assert.Contains("\"step\": 8", File.ReadAllText(Path.Combine(dir, "trainer.json")));

        var (evalCode, json, evalError) = CliRun.Invoke("caption", "eval", "--model", dir, "--data", Path.Combine(data, "test_captions.txt"), "--images", Path.Combine(data, "images"), "--json", "--beam", "2");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        foreach (string field in new[] { "bleu1", "bleu2", "bleu3", "bleu4", "exact_match" })
            Assert.True(doc.RootElement.TryGetProperty(field, out _), $"eval --json lacks '{field}'");
        Assert.Equal(6, doc.RootElement.GetProperty("images").GetInt32());

        var (infoCode, info, infoError) = CliRun.Invoke("info", dir);
        Assert.True(infoCode == 0, infoError);
        Assert.Contains("attention.U.weight", info);

        var (predictCode, lines, predictError) = CliRun.Invoke("caption", "predict", "--model", dir, "--images", Path.Combine(data, "images"), "test-00001.png");
        Assert.True(predictCode == 0, predictError);
        Assert.StartsWith("test-00001.png\t", lines);
    }

    [Fact]
    public void SafetensorsFeatures_TrainAndEval_MissingImageExitsTwo()
    {
        string captions = Path.Combine(_root, "captions.txt"), features = Path.Combine(_root, "features.safetensors"), dir = Path.Combine(_root, "run");
        var images = Enumerable.Range(0, 12).Select(i => new CaptionedImage($"img{i}.jpg", [i % 2 == 0 ? "a dog runs" : "a cat sleeps"], "x")).ToArray();
        CaptionsReader.Write(captions, images);
        new ImageFeatures(1, 3, images.Select((im, i) => (im.Image, new[] { i % 2, 1f - i % 2, 0.5f })).ToDictionary(x => x.Image, x => x.Item2), "test").WriteSafeTensors(features);
        var (code, _, error) = CliRun.Invoke("caption", "train", "--data", captions, "--features", features, "--out", dir, "--steps", "4", "--hidden", "8", "--embed", "4");
        Assert.True(code == 0, error);
        var (evalCode, _, evalError) = CliRun.Invoke("caption", "eval", "--model", dir, "--data", captions, "--features", features);
        Assert.True(evalCode == 0, evalError);

        File.AppendAllText(captions, "missing.jpg,a bird\n");
        (code, _, error) = CliRun.Invoke("caption", "eval", "--model", dir, "--data", captions, "--features", features);
        Assert.Equal(2, code);
        Assert.Contains("'missing.jpg'", error);
        (code, _, error) = CliRun.Invoke("caption", "train", "--data", captions, "--out", Path.Combine(_root, "r2"));
        Assert.Equal(2, code);
        Assert.Contains("--images", error);
    }

    /// <summary>A tiny ONNX image model: [1, 3, 16, 16] → MaxPool 8×8 → [1, 3, 2, 2], a grid of 4 cells of 3 features.</summary>
    private static void WriteOnnxPool(string path)
    {
        static ValueInfoProto Value(string name, params long[] dims)
        {
            var shape = new TensorShapeProto();
            foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
            return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
        }
        var graph = new GraphProto { Name = "pool" };
        graph.Input.Add(Value("image", 1, 3, 16, 16));
        graph.Output.Add(Value("cells", 1, 3, 2, 2));
        graph.Node.Add(new NodeProto
        {
            OpType = "MaxPool", Input = { "image" }, Output = { "cells" },
            Attribute = { new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 8, 8 } },
                          new AttributeProto { Name = "strides", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 8, 8 } } },
        });
        var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "test" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        File.WriteAllBytes(path, model.ToByteArray());
    }

    [Fact]
    public void OnnxImageModel_GivesTheFeatures()
    {
        string data = Path.Combine(_root, "shapes"), dir = Path.Combine(_root, "run"), onnx = Path.Combine(_root, "pool.onnx");
        Assert.Equal(0, CliRun.Invoke("caption", "make-shapes", "--out", data, "--count", "30", "--test-count", "4", "--size", "16").Code);
        WriteOnnxPool(onnx);
        var (code, _, error) = CliRun.Invoke("caption", "train", "--data", Path.Combine(data, "captions.txt"), "--images", Path.Combine(data, "images"),
            "--onnx-model", onnx, "--onnx-normalize", "none", "--attention", "luong-general", "--out", dir, "--steps", "3", "--hidden", "8", "--embed", "4");
        Assert.True(code == 0, error);
        var config = CaptionConfig.FromJson(Training.RunFiles.ReadJsonObject(Path.Combine(dir, "config.json")), "config.json");
        Assert.Equal((FeatureSource.Onnx, 4, 3), (config.Features, config.Shape.FeatureCells, config.Shape.FeatureSize));
        var (evalCode, _, evalError) = CliRun.Invoke("caption", "eval", "--model", dir, "--data", Path.Combine(data, "test_captions.txt"), "--images", Path.Combine(data, "images"));
        Assert.True(evalCode == 0, evalError);

        File.WriteAllText(onnx, "not a model");
        (code, _, error) = CliRun.Invoke("caption", "eval", "--model", dir, "--data", Path.Combine(data, "test_captions.txt"), "--images", Path.Combine(data, "images"));
        Assert.Equal(2, code);
        Assert.Contains("pool.onnx", error);
    }
}
