namespace PvMmu.Sim.Costs;

/// <summary>A cost table that cannot be used, with where (file:line:column, 1-based) and what was expected.</summary>
public sealed class CostTableException(string file, int line, int column, string message)
    : Exception($"{file}:{line}:{column}: {message}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;
}
