namespace PvMmu.Scheduling;

/// <summary>Why <see cref="RunLoop"/> returned.</summary>
public enum RunEnd
{
    /// <summary>Every program ran to its end.</summary>
    Done,

    /// <summary>Programs remain but no move is enabled.</summary>
    Deadlock,

    /// <summary>The strategy or the observer ended the run with moves still enabled.</summary>
    Stopped,

    /// <summary>The run made as many moves as it was allowed.</summary>
    MoveCap,
}
