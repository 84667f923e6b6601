// The safetensors element types this library reads. Files name them by the strings in the format
// (F32, F16, BF16); everything is converted to float32 on load, exactly (every F16 and BF16 value is
// representable in float32).
namespace Recurrent.Interop;

/// <summary>A floating-point element type stored in a safetensors file.</summary>
internal enum SafeTensorsDType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16 (<see cref="Half"/>).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,
}

internal static class SafeTensorsDTypes
{
    /// <summary>The list given in error messages.</summary>
    public const string SupportedText = "F32, F16 and BF16";

    /// <summary>Maps the format's dtype string to the enum; false for any other dtype.</summary>
    public static bool TryParse(string text, out SafeTensorsDType dtype)
    {
        switch (text)
        {
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "F16": dtype = SafeTensorsDType.F16; return true;
            case "BF16": dtype = SafeTensorsDType.BF16; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>Bytes per element.</summary>
    public static int Size(SafeTensorsDType dtype) => dtype == SafeTensorsDType.F32 ? 4 : 2;
}
