// Lets TorchSharp 0.107.0's native shim load on systems with an older libstdc++ (Debian 12: GCC 12).
// The shim was linked against GCC 13 and lists GLIBCXX_3.4.31/32 among its version needs; the only
// symbol bound to them is never called. Marking those needs weak (VER_FLG_WEAK) in the build output's
// copy turns the fatal load error into nothing. Idempotent; the package's own copy is never touched.
using System.Buffers.Binary;
using System.Text;

namespace Recurrent.LibtorchSupport;

public static class ElfVersionNeeds
{
    private const ushort VerFlagWeak = 0x2;
    private const uint ShtGnuVerneed = 0x6FFFFFFE;

    /// <summary>Marks the given version needs weak in the ELF64 file; returns how many entries changed.</summary>
    public static int MarkWeak(string path, params string[] versions)
    {
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 64 || data[0] != 0x7F || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F' || data[4] != 2 || data[5] != 1)
            throw new InvalidDataException($"{path}: not a little-endian ELF64 file.");
        ulong shoff = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(0x3C));
        var sections = new (uint Type, long Offset, uint Link)[shnum];
        for (int i = 0; i < shnum; i++)
        {
            var header = data.AsSpan((int)shoff + i * shentsize);
            sections[i] = (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                (long)BinaryPrimitives.ReadUInt64LittleEndian(header[24..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[40..]));
        }
        int changed = 0;
        foreach (var section in sections)
        {
            if (section.Type != ShtGnuVerneed) continue;
            long strtab = sections[section.Link].Offset;
            long vn = section.Offset;
            while (true)
            {
                var need = data.AsSpan((int)vn);
                int count = BinaryPrimitives.ReadUInt16LittleEndian(need[2..]);
                long aux = vn + BinaryPrimitives.ReadUInt32LittleEndian(need[8..]);
                for (int a = 0; a < count; a++)
                {
                    var entry = data.AsSpan((int)aux);
                    ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(entry[4..]);
                    string name = CString(data, strtab + BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]));
                    if (versions.Contains(name) && (flags & VerFlagWeak) == 0)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(entry[4..], (ushort)(flags | VerFlagWeak));
                        changed++;
                    }
                    uint next = BinaryPrimitives.ReadUInt32LittleEndian(entry[12..]);
                    if (next == 0) break;
                    aux += next;
                }
                uint nextNeed = BinaryPrimitives.ReadUInt32LittleEndian(need[12..]);
                if (nextNeed == 0) break;
                vn += nextNeed;
            }
        }
        if (changed > 0)
        {
            string temp = path + ".tmp";
            File.WriteAllBytes(temp, data);
            File.Move(temp, path, overwrite: true);
        }
        return changed;
    }

    private static string CString(byte[] data, long offset)
    {
        int end = Array.IndexOf(data, (byte)0, (int)offset);
        return Encoding.ASCII.GetString(data, (int)offset, end - (int)offset);
    }
}
