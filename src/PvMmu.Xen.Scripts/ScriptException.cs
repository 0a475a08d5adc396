namespace PvMmu.Xen.Scripts;

/// <summary>A malformed script: reported as <c>file:line: what was expected</c>, exit code 1.</summary>
public sealed class ScriptException : Exception
{
    public ScriptException(string file, int line, string message)
        : base($"{file}:{line}: {message}")
    {
        File = file;
        Line = line;
        What = message;
    }

    public ScriptException()
    {
        File = string.Empty;
        What = string.Empty;
    }

    public ScriptException(string message)
        : base(message)
    {
        File = string.Empty;
        What = message;
    }

    public ScriptException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = string.Empty;
        What = message;
    }

    public string File { get; }

    public int Line { get; }

    public string What { get; }
}
