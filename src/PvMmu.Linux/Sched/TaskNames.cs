using PvMmu.Events;

namespace PvMmu.Linux.Sched;

/// <summary>
/// How the per-task view (<see cref="TaskTally"/>) names the model's tasks, as a trace's <c>comm</c> column would
/// (the pid left out, since the model has none): a process by its workload name (every thread of it alike, as
/// threads share their comm), the kernel thread a vCPU switches to <c>kthread/N</c>, the idle task
/// <c>&lt;idle&gt;</c>.
/// </summary>
public static class TaskNames
{
    /// <summary>A process slot's name: the workload's, or <c>P</c> and the slot when it names none.</summary>
    public static string Process(IReadOnlyList<string>? names, int slot) =>
        names is not null && slot < names.Count ? names[slot] : $"P{slot}";

    /// <summary>The kernel thread of vCPU <paramref name="cpu"/> (the model's <c>kthread</c> step).</summary>
    public static string Kthread(int cpu) => $"kthread/{cpu}";
}
