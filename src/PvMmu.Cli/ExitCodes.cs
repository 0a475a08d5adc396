namespace PvMmu.Cli;

/// <summary>The project's exit codes, for every command.</summary>
public static class ExitCodes
{
    /// <summary>Everything held (for a search: every schedule explored to the bound, no violation).</summary>
    public const int Ok = 0;

    /// <summary>Bad input (a malformed script or flag) or a tool error.</summary>
    public const int BadInput = 1;

    /// <summary>A finding: a failed assertion or a violation.</summary>
    public const int Finding = 2;

    /// <summary>
    /// No finding, but the search was incomplete, so this is not a proof: a cap (states, time, depth, preemptions)
    /// cut it, or it only sampled schedules.
    /// </summary>
    public const int Incomplete = 3;

    /// <summary>A bug in pvmmu itself (EX_SOFTWARE): an exception no input should cause; the line asks for a report.</summary>
    public const int InternalError = 70;

    /// <summary>Stopped by Ctrl-C (SIGINT): 128 + 2, as shells report it.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;
}
