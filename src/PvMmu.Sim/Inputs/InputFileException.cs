namespace PvMmu.Sim.Inputs;

/// <summary>
/// An input refused before any parser saw it: the file, the line when one is at fault (0: the file as a whole) and
/// why; the message is the user's one line, <c>FILE[:LINE]: why</c>.
/// </summary>
public sealed class InputFileException(string file, int line, string reason)
    : IOException(line > 0 ? $"{file}:{line}: {reason}" : $"{file}: {reason}")
{
    public string File { get; } = file;

    /// <summary>The line at fault, from 1; 0 when it is the file as a whole.</summary>
    public int Line { get; } = line;

    public string Reason { get; } = reason;
}
