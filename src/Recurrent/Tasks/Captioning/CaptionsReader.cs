// Captions in the Flickr8k `captions.txt` layout: CSV with a header `image,caption` (CsvHelper handles
// quoting, so captions may hold commas), several rows per image. Images keep the order of their first row.
using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Recurrent.Data;

namespace Recurrent.Tasks.Captioning;

/// <summary>An image and its reference captions, with where its first row is.</summary>
public sealed record CaptionedImage(string Image, IReadOnlyList<string> Captions, string Source);

/// <summary>Reads captions.txt files.</summary>
public static class CaptionsReader
{
    /// <summary>Reads a CSV file with the columns <c>image</c> and <c>caption</c>.</summary>
    /// <exception cref="RecurrentDataException">The file is missing, not UTF-8, lacks the columns, has an empty field, or no rows.</exception>
    public static IReadOnlyList<CaptionedImage> Read(string path)
    {
        string text = TextFile.ReadUtf8(path);
        var config = new CsvConfiguration(CultureInfo.InvariantCulture) { DetectColumnCountChanges = false, BadDataFound = null, TrimOptions = TrimOptions.Trim };
        using var csv = new CsvReader(new StringReader(text), config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { } header)
            throw new RecurrentDataException($"{path}: no header line; expected the Flickr8k layout 'image,caption'.");
        int imageColumn = Array.IndexOf(header, "image"), captionColumn = Array.IndexOf(header, "caption");
        if (imageColumn < 0 || captionColumn < 0)
            throw new RecurrentDataException($"{path}: the header is '{string.Join(",", header)}'; expected columns named 'image' and 'caption'.");
        var order = new List<string>();
        var captions = new Dictionary<string, (List<string> List, string Source)>(StringComparer.Ordinal);
        while (csv.Read())
        {
            int line = csv.Parser.RawRow;
            string? image = csv.GetField(imageColumn), caption = csv.GetField(captionColumn);
            if (string.IsNullOrWhiteSpace(image) || string.IsNullOrWhiteSpace(caption))
                throw new RecurrentDataException($"{path}: line {line} has an empty {(string.IsNullOrWhiteSpace(image) ? "image" : "caption")} field; expected 'image,caption'.");
            if (!captions.TryGetValue(image, out var entry))
            {
                entry = (new List<string>(), $"{path}: line {line}");
                captions[image] = entry;
                order.Add(image);
            }
            entry.List.Add(caption);
        }
        if (order.Count == 0) throw new RecurrentDataException($"{path}: the header is there but no caption rows follow.");
        return order.Select(i => new CaptionedImage(i, captions[i].List, captions[i].Source)).ToArray();
    }

    /// <summary>Writes images and captions in the same layout (quoted as needed), atomically.</summary>
    public static void Write(string path, IEnumerable<CaptionedImage> images)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
        {
            csv.WriteField("image");
            csv.WriteField("caption");
            csv.NextRecord();
            foreach (CaptionedImage image in images)
                foreach (string caption in image.Captions)
                {
                    csv.WriteField(image.Image);
                    csv.WriteField(caption);
                    csv.NextRecord();
                }
        }
        Training.RunFiles.WriteTextAtomic(path, writer.ToString());
    }
}
