using PvMmu.Events;

namespace PvMmu.Linux.Invariants;

/// <summary>
/// The kernel's own checks where the guest model follows the code that has them: BUG_ON stops the run
/// (<see cref="KernelBugException"/>), WARN_ON lets it go on; each one that fires is counted in the event stream
/// (<see cref="EventKind.KernelBug"/>, <see cref="EventKind.KernelWarn"/>) on the vCPU that hit it. The callers pass
/// the file, function and condition as string literals, so a check that holds costs one test and allocates nothing.
/// </summary>
public static class KernelChecks
{
    /// <summary>BUG_ON(<paramref name="condition"/>) in <paramref name="function"/> of <paramref name="file"/>.</summary>
    public static void BugOn(bool fired, EventSink events, int cpu, string file, string function, string condition)
    {
        if (fired)
        {
            events.Add(cpu, EventKind.KernelBug);
            throw new KernelBugException(cpu, file, function, condition);
        }
    }

    /// <summary>WARN_ON(condition): counts it when <paramref name="fired"/> and returns it, as WARN_ON's value is the condition's.</summary>
    public static bool WarnOn(bool fired, EventSink events, int cpu)
    {
        if (fired)
        {
            events.Add(cpu, EventKind.KernelWarn);
        }

        return fired;
    }
}
