namespace PvMmu.Linux.Invariants;

/// <summary>
/// A kernel BUG_ON (or BUG) whose condition held: the real kernel oopses there and the task dies, so the model stops
/// the run too, with the kernel's message: where (file and function) and the condition as Linux 6.1 writes it.
/// </summary>
public sealed class KernelBugException(int cpu, string file, string function, string condition)
    : Exception($"kernel BUG at {file} ({function}) on CPU {cpu}: {condition}")
{
    public int Cpu { get; } = cpu;

    public string File { get; } = file;

    public string Function { get; } = function;

    public string Condition { get; } = condition;
}
