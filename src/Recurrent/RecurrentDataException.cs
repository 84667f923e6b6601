namespace Recurrent;

/// <summary>
/// A data or checkpoint file is missing, malformed or inconsistent. The message names the file (and line
/// or tensor) and says what was expected; the CLI turns it into exit code 2.
/// </summary>
public sealed class RecurrentDataException : Exception
{
    /// <summary>Creates the exception with a message naming the file and what was wrong.</summary>
    public RecurrentDataException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public RecurrentDataException(string message, Exception inner) : base(message, inner) { }
}
