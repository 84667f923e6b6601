// Range checks shared by the option records and schedules; each throws ArgumentOutOfRangeException
// naming the field and the value it got.
namespace Recurrent.Optim;

internal static class OptionChecks
{
    /// <summary>Finite and ≥ 0.</summary>
    public static float NonNegative(float value, string owner, string field)
    {
        if (!float.IsFinite(value) || value < 0)
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be a finite number ≥ 0; got {value}. Pass a non-negative value.");
        return value;
    }

    /// <summary>Finite and &gt; 0.</summary>
    public static float Positive(float value, string owner, string field)
    {
        if (!float.IsFinite(value) || value <= 0)
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be a finite number > 0; got {value}. Pass a positive value.");
        return value;
    }

    /// <summary>Finite (any sign).</summary>
    public static float Finite(float value, string owner, string field)
    {
        if (!float.IsFinite(value))
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be a finite number; got {value}.");
        return value;
    }

    /// <summary>In [0, 1).</summary>
    public static float UnitInterval(float value, string owner, string field)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be in [0, 1); got {value}. Typical values are 0.9 to 0.999.");
        return value;
    }

    /// <summary>≥ 0.</summary>
    public static int NonNegative(int value, string owner, string field)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be ≥ 0; got {value}.");
        return value;
    }

    /// <summary>&gt; 0.</summary>
    public static int Positive(int value, string owner, string field)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(field, value, $"{owner}.{field} must be > 0; got {value}.");
        return value;
    }
}
