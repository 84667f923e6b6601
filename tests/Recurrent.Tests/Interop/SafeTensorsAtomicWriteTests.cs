// SafeTensors.Write replaces a file atomically: a failed write leaves the previous file byte for byte and
// no temporary file behind; invalid arguments are rejected before anything touches the disk.
using System.Runtime.Versioning;
using Recurrent.Interop;
using Recurrent.Tensors;

namespace Recurrent.Tests.Interop;

/// <summary>A fact that needs file permissions to be enforced: skipped on Windows and for root, who ignores them.</summary>
public sealed class FactWithUnixPermissionsAttribute : FactAttribute
{
    public FactWithUnixPermissionsAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Unix file modes do not apply on Windows.";
        else if (Environment.IsPrivilegedProcess) Skip = "A privileged process writes into read-only folders.";
    }
}

public sealed class SafeTensorsAtomicWriteTests : IDisposable
{
    private readonly ScratchFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static List<KeyValuePair<string, Tensor>> Tensors(float seed) =>
    [
        new("a", Tensor.FromArray([seed, seed + 1], 2)),
        new("b", Tensor.FromArray([seed * 10], 1, 1)),
    ];

    [Fact]
    public void Write_OverAnExistingFile_ReplacesItAndLeavesNoTemporaryFile()
    {
        string path = _folder.File("model.safetensors");
        SafeTensors.Write(path, Tensors(1));

        SafeTensors.Write(path, Tensors(5));

        Assert.Equal(["model.safetensors"], _folder.Entries());
        Assert.Equal([5f, 6f], SafeTensors.Read(path)["a"].Span.ToArray());
    }

    [Fact]
    public void Write_WhenATensorFailsMidWrite_LeavesPreviousFileIntactAndNoTemporaryFile()
    {
        string path = _folder.File("model.safetensors");
        SafeTensors.Write(path, Tensors(1));
        byte[] before = File.ReadAllBytes(path);
        var broken = Tensor.FromArray([1f, 2f, 3f], 3);
        broken.Dispose(); // its storage is gone, so writing its data throws after the header and tensor 'a' went out
        var tensors = new List<KeyValuePair<string, Tensor>> { new("a", Tensor.Zeros(1000)), new("broken", broken) };

        Assert.Throws<ObjectDisposedException>(() => SafeTensors.Write(path, tensors));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], _folder.Entries());
    }

    [Fact]
    public void Write_WhenTheTargetIsAFolder_ThrowsAndLeavesNoTemporaryFile()
    {
        string path = _folder.File("taken");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "keep");

        var e = Record.Exception(() => SafeTensors.Write(path, Tensors(1)));

        Assert.True(e is IOException or UnauthorizedAccessException, $"expected an IOException or UnauthorizedAccessException, got {e?.GetType().Name ?? "no exception"}");
        Assert.Equal(["taken"], _folder.Entries());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(path, "keep.txt")));
    }

    [Fact]
    public void RunFilesWrite_WhenTheTargetIsAFolder_SaysSoBeforeWritingAnything()
    {
        string path = _folder.File("taken.onnx");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "keep.txt"), "keep");

        var e = Assert.Throws<RecurrentDataException>(() => Recurrent.Training.RunFiles.WriteBytesAtomic(path, [1, 2, 3]));

        Assert.Contains(path + ": is a folder", e.Message);
        Assert.Equal(["taken.onnx"], _folder.Entries());
        Assert.Equal("keep", File.ReadAllText(Path.Combine(path, "keep.txt")));
    }

    [Fact]
    public void Write_IntoAMissingFolder_ThrowsAndCreatesNothing()
    {
        string path = Path.Combine(_folder.Path, "missing", "model.safetensors");

        Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Write(path, Tensors(1)));

        Assert.Empty(_folder.Entries());
    }

    [FactWithUnixPermissions]
    [UnsupportedOSPlatform("windows")]
    public void Write_IntoAReadOnlyFolder_ThrowsAndLeavesPreviousFileIntact()
    {
        string path = _folder.File("model.safetensors");
        SafeTensors.Write(path, Tensors(1));
        byte[] before = File.ReadAllBytes(path);
        File.SetUnixFileMode(_folder.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        Assert.Throws<UnauthorizedAccessException>(() => SafeTensors.Write(path, Tensors(5)));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], _folder.Entries());
    }

    public static TheoryData<string, string> BadNames() => new()
    {
        { "", "empty name" },
        { "a", "appears more than once" },
        { "__metadata__", "reserves for metadata" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public void Write_BadName_ThrowsArgumentExceptionAndWritesNothing(string name, string expected)
    {
        string path = _folder.File("model.safetensors");
        var tensors = new List<KeyValuePair<string, Tensor>> { new("a", Tensor.Zeros(1)), new(name, Tensor.Zeros(2)) };

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, tensors));

        Assert.Equal("tensors", e.ParamName);
        Assert.Contains(expected, e.Message);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void Write_NameWithUnpairedSurrogate_ThrowsArgumentException()
    {
        // A Fact, not a Theory row: test discovery would replace the lone surrogate before the test saw it.
        string path = _folder.File("model.safetensors");
        string halfAnEmoji = "😀"[..1];

        var e = Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("w" + halfAnEmoji, Tensor.Zeros(1))]));

        Assert.Contains("unpaired UTF-16 surrogate", e.Message);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void Write_NullTensorOrMetadataValue_ThrowsArgumentException()
    {
        string path = _folder.File("model.safetensors");

        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("a", null!)]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, Tensors(1), new Dictionary<string, string> { ["k"] = null! }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, Tensors(1), new Dictionary<string, string> { ["k"] = "\udc00" }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write("", Tensors(1)));
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void Write_NoTensors_WritesAFileThatReadsBackEmpty()
    {
        string path = _folder.File("empty.safetensors");

        SafeTensors.Write(path, [], new Dictionary<string, string> { ["format"] = "pt" });
        SafeTensorsFile file = SafeTensors.Read(path);

        Assert.Empty(file.Names);
        Assert.Equal("pt", file.Metadata["format"]);
    }
}
