// Reading UTF-8 text files for training data. Strict mode refuses invalid bytes and names the line and
// column where they are, so the user can find them in an editor; lenient mode replaces them with U+FFFD
// (as .NET's own decoder does: one replacement per maximal invalid subsequence) and counts them. Both skip
// a UTF-8 byte-order mark and turn CRLF into LF, so a file saved on Windows trains the same model.
using System.Text;
using System.Text.Unicode;

namespace Recurrent.Data;

/// <summary>Reads whole UTF-8 text files with messages that name the file and the place of a problem.</summary>
public static class TextFile
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>Reads a UTF-8 text file, refusing invalid bytes.</summary>
    /// <param name="path">The file; named as given in error messages.</param>
    /// <returns>The text without a byte-order mark, with every CRLF replaced by LF.</returns>
    /// <remarks>
    /// Error positions count lines from 1 (a line ends at LF) and columns from 1 in Unicode scalar values
    /// decoded so far on that line, which is what an editor shows for most text.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="RecurrentDataException">
    /// The file is missing, is a directory, cannot be read, holds bytes that are not UTF-8, or holds no text
    /// other than whitespace.
    /// </exception>
    public static string ReadUtf8(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        ReadOnlySpan<byte> data = WithoutBom(bytes);
        if (!Utf8.IsValid(data)) throw InvalidUtf8(path, data);
        string text = Encoding.UTF8.GetString(data);
        EnsureNotEmpty(path, text, data.Length);
        return NormaliseNewlines(text);
    }

    /// <summary>Reads a UTF-8 text file, replacing invalid byte sequences with U+FFFD.</summary>
    /// <param name="path">The file; named as given in error messages.</param>
    /// <param name="invalidSequences">How many invalid sequences were replaced (0 for a valid file).</param>
    /// <returns>The text without a byte-order mark, with every CRLF replaced by LF.</returns>
    /// <remarks>
    /// Each maximal invalid subsequence (Unicode's "substitution of maximal subparts", the practice of
    /// .NET's decoder) becomes one U+FFFD; a sequence cut off by the end of the file counts as one.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="RecurrentDataException">
    /// The file is missing, is a directory, cannot be read, or holds no text other than whitespace.
    /// </exception>
    public static string ReadUtf8Lenient(string path, out int invalidSequences)
    {
        byte[] bytes = ReadAllBytes(path);
        ReadOnlySpan<byte> data = WithoutBom(bytes);
        string text;
        if (Utf8.IsValid(data))
        {
            invalidSequences = 0;
            text = Encoding.UTF8.GetString(data);
        }
        else
        {
            text = DecodeReplacing(data, out invalidSequences);
        }
        EnsureNotEmpty(path, text, data.Length);
        return NormaliseNewlines(text);
    }

    private static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            throw new RecurrentDataException(
                $"{path}: this is a directory, expected a UTF-8 text file; pass the path of a file.");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException e)
        {
            throw NotFound(path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw NotFound(path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new RecurrentDataException($"{path}: permission denied, the file cannot be read; check its permissions.", e);
        }
        catch (IOException e)
        {
            throw new RecurrentDataException($"{path}: the file cannot be read ({e.Message}); check the file and try again.", e);
        }
    }

    private static RecurrentDataException NotFound(string path, IOException inner) =>
        new($"{path}: file not found (looked for {Path.GetFullPath(path)}); check the path and the current directory.", inner);

    private static ReadOnlySpan<byte> WithoutBom(byte[] bytes) =>
        bytes.AsSpan().StartsWith(Utf8Bom) ? bytes.AsSpan(Utf8Bom.Length) : bytes;

    private static void EnsureNotEmpty(string path, string text, int byteCount)
    {
        if (byteCount == 0)
            throw new RecurrentDataException(
                $"{path}: the file is empty; expected UTF-8 text, got 0 bytes; check the path or export the data again.");
        if (string.IsNullOrWhiteSpace(text))
            throw new RecurrentDataException(
                $"{path}: the file is empty; expected UTF-8 text, got only whitespace ({byteCount} bytes); check the path or export the data again.");
    }

    private static string NormaliseNewlines(string text) =>
        text.Contains('\r') ? text.Replace("\r\n", "\n", StringComparison.Ordinal) : text;

    /// <summary>Finds the first invalid sequence and builds the message naming its line, column and first byte.</summary>
    private static RecurrentDataException InvalidUtf8(string path, ReadOnlySpan<byte> data)
    {
        int line = 1, column = 1, i = 0;
        while (i < data.Length)
        {
            var status = Rune.DecodeFromUtf8(data[i..], out Rune rune, out int consumed);
            if (status != System.Buffers.OperationStatus.Done) break;
            if (rune.Value == '\n')
            {
                line++;
                column = 1;
            }
            else
            {
                column++;
            }
            i += consumed;
        }
        byte bad = data[i];
        string hint = i == 0 && data.Length >= 2 && (data[0], data[1]) is (0xFF, 0xFE) or (0xFE, 0xFF)
            ? "; the file starts with a UTF-16 byte-order mark"
            : "";
        return new RecurrentDataException(
            $"{path}: line {line} of the data is not valid UTF-8 (byte 0x{bad:X2} at column {column}{hint}); re-save the file as UTF-8.");
    }

    private static string DecodeReplacing(ReadOnlySpan<byte> data, out int invalidSequences)
    {
        var text = new StringBuilder(data.Length);
        Span<char> chars = stackalloc char[2];
        invalidSequences = 0;
        int i = 0;
        while (i < data.Length)
        {
            var status = Rune.DecodeFromUtf8(data[i..], out Rune rune, out int consumed);
            if (status != System.Buffers.OperationStatus.Done) invalidSequences++;
            // On invalid data the decoder returns U+FFFD and the length of the maximal invalid subsequence.
            int written = rune.EncodeToUtf16(chars);
            text.Append(chars[..written]);
            i += consumed;
        }
        return text.ToString();
    }

    /// <summary>The first <paramref name="length"/> UTF-16 units of a text (all of it when shorter), never cutting a surrogate pair.</summary>
    public static string Prefix(string text, int length)
    {
        if (text.Length <= length) return text;
        if (length > 0 && char.IsHighSurrogate(text[length - 1])) length--;
        return text[..length];
    }
}
