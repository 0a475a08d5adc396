using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace PvMmu.Linux.Exit;

/// <summary>
/// A strategy from a user's file (<c>--strategy-file</c>), run exactly like a built-in one: each call into the file's
/// class gets a fresh <see cref="StrategyBudget"/>, and an exception its code throws (the budget's included) becomes
/// a kernel oops on the CPU that ran it, naming the file's own line and the model step: a finding, as a BUG() in
/// arch_exit_mmap would be, never a crash of the tool. The model then carries on, as it does after any oops.
/// </summary>
public sealed class FileStrategy : IExitStrategy
{
    private readonly IExitStrategy _inner;

    /// <summary>Wraps <paramref name="inner"/>, compiled from <paramref name="file"/> (as the user named it).</summary>
    public FileStrategy(IExitStrategy inner, string file)
    {
        _inner = inner;
        File = file;

        // Read once: the model reads them on hot paths, and a property has no model step to blame.
        Name = Once(() => inner.Name, nameof(Name)) ?? throw new StrategyFileException($"{file}: its Name is null");
        LazyTlbLeavesCpumask = Once(() => inner.LazyTlbLeavesCpumask, nameof(LazyTlbLeavesCpumask));
        PinAtAlloc = Once(() => inner.PinAtAlloc, nameof(PinAtAlloc));
        Handler = Once(() => inner.Handler, nameof(Handler));
        SerialIpis = Once(() => inner.SerialIpis, nameof(SerialIpis));
        if (!Enum.IsDefined(Handler))
        {
            throw new StrategyFileException($"{file}: Handler is {(int)Handler}, not one of {string.Join(", ", Enum.GetNames<IpiHandler>())}");
        }
    }

    /// <summary>The file the strategy came from, as the user named it.</summary>
    public string File { get; }

    public string Name { get; }

    public bool LazyTlbLeavesCpumask { get; }

    public bool PinAtAlloc { get; }

    public IpiHandler Handler { get; }

    public bool SerialIpis { get; }

    public void DropLocal(Kernel k, int cpu, int mm)
    {
        StrategyBudget.Refill();
        try
        {
            _inner.DropLocal(k, cpu, mm);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fault(k, cpu, mm, e, "DropLocal (arch_exit_mmap's local drop)");
        }
    }

    public ulong IpiMask(Kernel k, int cpu, int mm)
    {
        StrategyBudget.Refill();
        try
        {
            return _inner.IpiMask(k, cpu, mm);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No CPU is sent an IPI by a mask that could not be computed.
            Fault(k, cpu, mm, e, "IpiMask (xen_drop_mm_ref's choice of CPUs)");
            return 0;
        }
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
        StrategyBudget.Refill();
        try
        {
            _inner.AfterIpis(k, cpu, mm);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fault(k, cpu, mm, e, "AfterIpis (arch_exit_mmap after the IPIs)");
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
        StrategyBudget.Refill();
        try
        {
            _inner.PgdFree(k, cpu, mm);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Fault(k, cpu, mm, e, "PgdFree (xen_pgd_free)");
        }
    }

    /// <summary>
    /// The oops line: the strategy, the exception, the deepest line of the file's own code on its stack, and the step.
    /// </summary>
    private void Fault(Kernel k, int cpu, int mm, Exception e, string step)
    {
        var inv = CultureInfo.InvariantCulture;
        var at = Where(e) is { } line ? $"{File}:{line.ToString(inv)}" : File;
        var what = e is StrategyBudgetExceededException ? e.Message : $"threw {e.GetType().Name}: {e.Message}";
        k.Oopses.Add($"CPU {cpu.ToString(inv)}: strategy {Name} {what} at {at}, in {step} for mm {mm.ToString(inv)}");
    }

    /// <summary>The line of the innermost frame of the file's own code, when its symbols were loaded.</summary>
    private int? Where(Exception e)
    {
        var mine = _inner.GetType().Assembly;
        foreach (var frame in new StackTrace(e, true).GetFrames())
        {
            if (frame.GetMethod() is MethodBase m && m.Module.Assembly == mine && frame.GetFileLineNumber() > 0)
            {
                return frame.GetFileLineNumber();
            }
        }

        return null;
    }

    private T Once<T>(Func<T> read, string member)
    {
        StrategyBudget.Refill();
        try
        {
            return read();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var line = Where(e) is { } l ? ":" + l.ToString(CultureInfo.InvariantCulture) : string.Empty;
            throw new StrategyFileException($"{File}{line}: {member} threw {e.GetType().Name}: {e.Message}");
        }
    }
}
