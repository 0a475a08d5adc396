using PvMmu.Explore.Models;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Checks;

/// <summary>
/// The properties every search strategy, the shrinker and the replayer check, in one place so that they agree on
/// what a violation is: after every move the guest's invariants (G1–G5) and the hypervisor's (I1–I8); when every
/// program is done, the guest's again after every CPU has let go of its lazy references; and no deadlock.
/// </summary>
public static class ScheduleCheck
{
    /// <summary>This thread's list for the violations of a state: a search checks millions of states, most clean.</summary>
    [ThreadStatic]
    private static List<string>? _errors;

    /// <summary>The violations of the state <paramref name="m"/> is in, or null.</summary>
    public static string? StateViolation(Machine m, IInvariantCheck xen) => StateViolation(m, xen, null, 0);

    /// <summary>
    /// The same; <paramref name="memo"/>, when given, skips the parts already checked clean on an equal part of the
    /// state (see <see cref="CheckMemo"/>); <paramref name="framesFingerprint"/> is the state's
    /// <see cref="PvMmu.Linux.Kernel.FramesFingerprint()"/> (read only with a memo). The violations reported are the
    /// same either way.
    /// </summary>
    public static string? StateViolation(Machine m, IInvariantCheck xen, CheckMemo? memo, ulong framesFingerprint)
    {
        var k = m.K;
        var frames = memo?.KnownFrames(framesFingerprint) != true;
        var errors = _errors ??= [];
        GuestInvariantChecker.CheckInto(k, m.ContextSwitching, frames, errors, out var framesClean);
        if (framesClean)
        {
            memo?.FramesClean(framesFingerprint);
        }

        if (memo?.KnownXen(k.Xen) != true)
        {
            var xenErrors = xen.Check(k.Xen);
            foreach (var e in xenErrors)
            {
                errors.Add("xen: " + e);
            }

            if (xenErrors.Count == 0)
            {
                memo?.XenClean(k.Xen);
            }
        }

        return errors.Count > 0 ? string.Join("; ", errors) : null;
    }

    /// <summary>What a search reports when no vCPU can move before every program is done.</summary>
    public const string Deadlock = "deadlock: no vCPU can move";

    /// <summary>
    /// At an end state: let every CPU drop its lazy references, check, note the settled kernel's fingerprint, and
    /// put the machine back as it was.
    /// </summary>
    public static string? EndViolation(Machine m, out ulong settled) => EndViolation(m, m.Snapshot(), out settled);

    /// <summary>The same, with <paramref name="snapshot"/> already taken of the state <paramref name="m"/> is in.</summary>
    public static string? EndViolation(Machine m, MachineSnapshot snapshot, out ulong settled)
    {
        m.Quiesce();
        var end = GuestInvariantChecker.Check(m.K);
        settled = m.K.Fingerprint();
        m.Restore(snapshot);
        return end.Count > 0 ? "at the end: " + string.Join("; ", end) : null;
    }

    /// <summary>
    /// Runs <paramref name="schedule"/> on a fresh model. <c>Fits</c> is false when some move is not possible where
    /// it comes; otherwise <c>Violation</c> is the first one met and <c>At</c> the number of moves that reached it.
    /// </summary>
    public static (bool Fits, string? Violation, int At) Run(Func<IExplorable> build, IReadOnlyList<Move> schedule)
    {
        var m = build();
        var replay = new ReplayStrategy(schedule);
        string? violation = null;
        RunLoop.Run(m, replay, new RunObserver(null, _ => (violation = m.StateViolation()) == null), out var moves);
        if (replay.NotPossibleAt >= 0)
        {
            return (false, null, replay.NotPossibleAt);
        }

        if (violation != null)
        {
            return (true, violation, (int)moves);
        }

        if (m.Done)
        {
            return (true, m.EndViolation(out _), schedule.Count);
        }

        return (true, m.Enabled().Length == 0 ? Deadlock : null, schedule.Count);
    }

    /// <inheritdoc cref="Run(Func{IExplorable}, IReadOnlyList{Move})"/>
    public static (bool Fits, string? Violation, int At) Run(Func<Machine> build, IReadOnlyList<Move> schedule) =>
        Run(() => new MachineModel(build()), schedule);
}
