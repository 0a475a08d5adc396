namespace PvMmu.Linux.Exit;

/// <summary>A strategy file that cannot be used: each line of the message is one complete error (FILE[:LINE:COL]: what).</summary>
public sealed class StrategyFileException : Exception
{
    public StrategyFileException(string message)
        : base(message)
    {
    }
}
