namespace PvMmu.Xen.Scripts;

/// <summary>A statement that cannot run as written (for example a builder write to a frame in use): exit code 1.</summary>
public sealed class ScriptRunException : Exception
{
    public ScriptRunException(string message)
        : base(message)
    {
    }

    public ScriptRunException()
    {
    }

    public ScriptRunException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
