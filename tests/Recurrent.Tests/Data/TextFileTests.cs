using System.Text;
using Recurrent.Data;

namespace Recurrent.Tests.Data;

public sealed class TextFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("recurrent-data-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    [Fact]
    public void ReadUtf8_InvalidByte_NamesFileLineAndColumn()
    {
        // Line 3 is "ab€d😀" then 0xFF: five scalar values before the bad byte (😀 is one, outside the BMP), so column 6.
        byte[] bytes = Concat(Encoding.UTF8.GetBytes("first line\nsecond\r\nab€d😀"), [0xFF], Encoding.UTF8.GetBytes("rest\n"));
        string path = Write("moby.txt", bytes);

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));

        Assert.Equal($"{path}: line 3 of the data is not valid UTF-8 (byte 0xFF at column 6); re-save the file as UTF-8.", e.Message);
    }

    [Fact]
    public void ReadUtf8_InvalidByteAfterNonAsciiCharacters_CountsColumnsInCharacters()
    {
        byte[] bytes = Concat(Encoding.UTF8.GetBytes("x\n\nçàé€😀z"), [0xC3, 0x28]);
        string path = Write("data.txt", bytes);

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));

        Assert.Equal($"{path}: line 3 of the data is not valid UTF-8 (byte 0xC3 at column 7); re-save the file as UTF-8.", e.Message);
    }

    [Fact]
    public void ReadUtf8_FileNameAsGiven_AppearsInTheMessage()
    {
        string full = Write("moby.txt", Concat(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("line\n", 11)) + "Call m"), [0xFF]));
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, full);

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(relative));

        Assert.Equal($"{relative}: line 12 of the data is not valid UTF-8 (byte 0xFF at column 7); re-save the file as UTF-8.", e.Message);
    }

    [Fact]
    public void ReadUtf8_SequenceCutOffAtTheEnd_IsInvalid()
    {
        string path = Write("cut.txt", Concat(Encoding.UTF8.GetBytes("ok "), [0xE2, 0x82]));

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));

        Assert.Contains("line 1 of the data is not valid UTF-8 (byte 0xE2 at column 4)", e.Message);
    }

    [Fact]
    public void ReadUtf8_Utf16File_SaysSo()
    {
        string path = Write("utf16.txt", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("hi")).ToArray());

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));

        Assert.Equal($"{path}: line 1 of the data is not valid UTF-8 (byte 0xFF at column 1; the file starts with a UTF-16 byte-order mark); re-save the file as UTF-8.", e.Message);
    }

    [Fact]
    public void ReadUtf8_ByteOrderMark_IsSkipped()
    {
        string path = Write("bom.txt", Concat([0xEF, 0xBB, 0xBF], Encoding.UTF8.GetBytes("héllo")));

        Assert.Equal("héllo", TextFile.ReadUtf8(path));
        Assert.Equal("héllo", TextFile.ReadUtf8Lenient(path, out int invalid));
        Assert.Equal(0, invalid);
    }

    [Fact]
    public void ReadUtf8_CrLf_BecomesLf_AndLoneCrStays()
    {
        string path = Write("crlf.txt", "one\r\ntwo\r\n\r\nthree\rfour\r\n");

        Assert.Equal("one\ntwo\n\nthree\rfour\n", TextFile.ReadUtf8(path));
        Assert.Equal("one\ntwo\n\nthree\rfour\n", TextFile.ReadUtf8Lenient(path, out _));
    }

    [Fact]
    public void ReadUtf8_EmptyFile_IsADataError()
    {
        string path = Write("empty.txt", []);

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));
        Assert.StartsWith($"{path}: the file is empty; ", e.Message);
        Assert.Contains("0 bytes", e.Message);
        Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8Lenient(path, out _));
    }

    [Fact]
    public void ReadUtf8_OnlyByteOrderMark_IsEmpty()
    {
        string path = Write("bom-only.txt", [0xEF, 0xBB, 0xBF]);

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));
        Assert.StartsWith($"{path}: the file is empty; ", e.Message);
    }

    [Fact]
    public void ReadUtf8_OnlyWhitespace_IsEmpty()
    {
        string path = Write("blank.txt", " \r\n\t\n  \n");

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));
        Assert.StartsWith($"{path}: the file is empty; ", e.Message);
        Assert.Contains("only whitespace (8 bytes)", e.Message);
        Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8Lenient(path, out _));
    }

    [Fact]
    public void ReadUtf8_MissingFile_IsADataErrorNotFileNotFound()
    {
        string path = Path.Combine(_folder, "no-such-file.txt");

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));
        Assert.StartsWith($"{path}: file not found", e.Message);
        Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8Lenient(path, out _));
    }

    [Fact]
    public void ReadUtf8_MissingFolder_IsFileNotFound()
    {
        string path = Path.Combine(_folder, "no-such-folder", "a.txt");

        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(path));
        Assert.StartsWith($"{path}: file not found", e.Message);
    }

    [Fact]
    public void ReadUtf8_Directory_SaysItIsADirectory()
    {
        var e = Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8(_folder));
        Assert.StartsWith($"{_folder}: this is a directory", e.Message);
        Assert.Throws<RecurrentDataException>(() => TextFile.ReadUtf8Lenient(_folder, out _));
    }

    [Fact]
    public void ReadUtf8_NullOrEmptyPath_IsAnArgumentError()
    {
        Assert.Throws<ArgumentNullException>(() => TextFile.ReadUtf8(null!));
        Assert.Throws<ArgumentException>(() => TextFile.ReadUtf8(""));
    }

    [Fact]
    public void ReadUtf8Lenient_InvalidSequences_AreReplacedAndCounted()
    {
        // 0xFF alone; C3 followed by '(' (a cut two-byte sequence); E2 82 cut at the end: three replacements.
        byte[] bytes = Concat(Encoding.UTF8.GetBytes("a"), [0xFF], Encoding.UTF8.GetBytes("b\r\n"), [0xC3], Encoding.UTF8.GetBytes("(é"), [0xE2, 0x82]);
        string path = Write("mixed.txt", bytes);

        string text = TextFile.ReadUtf8Lenient(path, out int invalid);

        Assert.Equal(3, invalid);
        Assert.Equal("a\uFFFDb\n\uFFFD(é\uFFFD", text);
        Assert.Equal(Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n"), text);
    }

    [Fact]
    public void ReadUtf8Lenient_ValidFile_MatchesStrictRead()
    {
        string path = Write("valid.txt", "naïve 😀 text\r\nline two\n");

        Assert.Equal(TextFile.ReadUtf8(path), TextFile.ReadUtf8Lenient(path, out int invalid));
        Assert.Equal(0, invalid);
    }

    [Fact]
    public void Prefix_KeepsWholeCharacters()
    {
        Assert.Equal("abc", TextFile.Prefix("abc", 10));
        Assert.Equal("ab", TextFile.Prefix("abc", 2));
        Assert.Equal("", TextFile.Prefix("abc", 0));
        // "a😀b": the emoji is a surrogate pair at 1–2; a cut at 2 would split it, so the prefix stops before it.
        Assert.Equal("a", TextFile.Prefix("a\U0001F600b", 2));
        Assert.Equal("a\U0001F600", TextFile.Prefix("a\U0001F600b", 3));
    }
}
