namespace PvMmu.Cli;

/// <summary>The project's exit codes, for every command.</summary>
public static class ExitCodes
{
    /// <summary>Everything held.</summary>
    public const int Ok = 0;

    /// <summary>Bad input (a malformed script or flag) or a tool error.</summary>
    public const int BadInput = 1;

    /// <summary>A finding: a failed assertion or a violation.</summary>
    public const int Finding = 2;
}
