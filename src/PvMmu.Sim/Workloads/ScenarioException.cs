namespace PvMmu.Sim.Workloads;

/// <summary>
/// A workload scenario file that cannot be used: where (file:line:column, 1-based, as editors and compilers print
/// it) and what was expected there. The message is meant for the user as is, so no stack trace is needed.
/// </summary>
public sealed class ScenarioException(string file, int line, int column, string message)
    : Exception($"{file}:{line}:{column}: {message}")
{
    public string File { get; } = file;

    public int Line { get; } = line;

    public int Column { get; } = column;
}
