using System.Globalization;
using System.Text;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Models;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Counterexamples;

/// <summary>
/// Re-runs a schedule exactly and prints a per-move timeline of what matters: which vCPU did what, CR3 changes as
/// Xen and the guest see them, IPIs, failed multicall entries and oopses. Returns whether a violation reappeared.
/// </summary>
public static class Replayer
{
    /// <summary>
    /// Replays <paramref name="file"/>; with <paramref name="trace"/>, also records each move as a slice for a Perfetto
    /// trace. <paramref name="build"/> makes the machine when the scenario is not a built-in one (a scenario file,
    /// read by the caller, which knows the file format). <paramref name="strategy"/> is the exit path when it is not a
    /// built-in one (a strategy file's, loaded by the caller).
    /// </summary>
    public static (bool Violated, string Timeline) Run(ReplayFile file, List<TraceSlice>? trace = null, Func<IExitStrategy, Machine>? build = null, IExitStrategy? strategy = null)
    {
        if (build == null && !Scenarios.AllNames.Contains(file.Scenario))
        {
            throw new FormatException($"unknown scenario \"{file.Scenario}\"; valid: {string.Join(", ", Scenarios.AllNames)}");
        }

        if (Scenarios.IsHypervisorOnly(file.Scenario))
        {
            return RunModel(file, Scenarios.Explorable(file.Scenario, file.Strategy, file.Vcpus)(), trace);
        }

        strategy ??= ExitStrategies.Find(file.Strategy) ?? throw new FormatException($"unknown strategy \"{file.Strategy}\"; valid: {ExitStrategies.Names}");
        if (build == null && file.Vcpus is < Scenarios.MinVcpus or > Scenarios.MaxVcpus)
        {
            throw new FormatException($"expected \"vcpus\" from {Scenarios.MinVcpus} to {Scenarios.MaxVcpus}, as pvmmu check takes them; got {file.Vcpus}");
        }

        var m = build != null ? build(strategy) : Scenarios.Build(file.Scenario, strategy, file.Vcpus)();
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"replay: scenario {file.Scenario}, strategy {file.Strategy}, {file.Vcpus} vCPUs, {file.Schedule.Count} moves\n");
        var violated = false;
        var xen = new InvariantChecker();

        // A file written by check --reach names a branch, not a violation: the replay looks for the move that takes it.
        var reach = ReachTarget(file);
        m.K.Branches = 0;
        var replay = new ReplayStrategy(file.Schedule);
        var reached = false;
        var moves = 0;
        var label = string.Empty;
        int warnings = 0, oopses = 0;
        long ipis = 0;
        uint[] cr3 = [];
        var timeline = new RunObserver(
            c =>
            {
                label = m.Describe(c);
                (warnings, oopses, ipis) = (m.K.Mc.Warnings.Count, m.K.Oopses.Count, m.K.IpisSent);
                cr3 = (uint[])m.K.XenCurrentCr3.Clone();
            },
            c =>
            {
                moves++;
                sb.Append(inv, $"{moves,4}  v{c.Cpu}  {label,-22}");
                var notes = Notes(m, sb, cr3, ipis, warnings, oopses);
                sb.Append('\n');
                var error = ScheduleCheck.StateViolation(m, xen);
                trace?.Add(new TraceSlice(moves, c.Cpu, label, notes, error));
                if (reach is { } b && (m.K.Branches & (1UL << (int)b)) != 0)
                {
                    sb.Append(inv, $"      reached {Branches.Name(b)}: {Branches.Meaning(b)}\n");
                    reached = true;
                    return false;
                }

                if (error != null)
                {
                    sb.Append(ViolationText.Lines(error, "      "));
                    violated = true;
                    return false;
                }

                return true;
            });
        RunLoop.Run(m, replay, timeline);
        if (replay.NotPossibleAt is var at and >= 0)
        {
            throw NotPossible(at, file.Schedule[at]);
        }

        if (reached)
        {
            return (true, sb.Append("the branch was reached again\n").ToString());
        }

        if (reach is { } missed)
        {
            return (false, sb.Append(inv, $"{Branches.Name(missed)} was not reached on this schedule\n").ToString());
        }

        if (!violated && m.Done && ScheduleCheck.EndViolation(m, out _) is { } end)
        {
            sb.Append(ViolationText.Lines(end, "      "));
            violated = true;
        }

        sb.Append(violated ? "the violation reproduced\n" : "no violation on this schedule\n");
        return (violated, sb.ToString());
    }

    /// <summary>What a replay file's "violation" says when check --reach wrote it: "reached NAME".</summary>
    public const string ReachedPrefix = "reached ";

    /// <summary>The branch a file written by check --reach names, or null for a counterexample file.</summary>
    public static Branch? ReachTarget(ReplayFile file) =>
        file.Violation.StartsWith(ReachedPrefix, StringComparison.Ordinal) ? Branches.Find(file.Violation[ReachedPrefix.Length..]) : null;

    /// <summary>The timeline of a scenario that is not a guest machine: each move as the model describes it, and its outcome.</summary>
    private static (bool Violated, string Timeline) RunModel(ReplayFile file, IExplorable m, List<TraceSlice>? trace)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"replay: scenario {file.Scenario}, xen {file.Strategy}, {file.Vcpus} vCPUs, {file.Schedule.Count} moves\n");
        var violated = false;
        var replay = new ReplayStrategy(file.Schedule);
        var moves = 0;
        var what = string.Empty;
        var timeline = new RunObserver(
            c => what = m.Describe(c),
            c =>
            {
                moves++;
                sb.Append(inv, $"{moves,4}  v{c.Cpu}  {what,-40}");
                if (m.LastOutcome.Length > 0)
                {
                    sb.Append("  ").Append(m.LastOutcome);
                }

                sb.Append('\n');
                var error = m.StateViolation();
                trace?.Add(new TraceSlice(moves, c.Cpu, what, m.LastOutcome, error));
                if (error != null)
                {
                    sb.Append(ViolationText.Lines(error, "      "));
                    violated = true;
                    return false;
                }

                return true;
            });
        RunLoop.Run(m, replay, timeline);
        if (replay.NotPossibleAt is var at and >= 0)
        {
            throw NotPossible(at, file.Schedule[at]);
        }

        sb.Append(violated ? "the violation reproduced\n" : "no violation on this schedule\n");
        return (violated, sb.ToString());
    }

    /// <summary>What a move changed, appended to its timeline line: CR3 loads as Xen sees them, IPIs, WARNs and oopses.</summary>
    private static string Notes(Machine m, StringBuilder sb, uint[] cr3, long ipis, int warnings, int oopses)
    {
        var inv = CultureInfo.InvariantCulture;
        var notesAt = sb.Length;
        for (var v = 0; v < m.K.Cpus; v++)
        {
            if (m.K.XenCurrentCr3[v] != cr3[v])
            {
                sb.Append(inv, $"  v{v} xen_current_cr3 {Name(m, cr3[v])} -> {Name(m, m.K.XenCurrentCr3[v])}");
            }
        }

        if (m.K.IpisSent != ipis)
        {
            sb.Append(inv, $"  IPI handled");
        }

        foreach (var w in m.K.Mc.Warnings.Skip(warnings))
        {
            sb.Append(inv, $"  WARN {w.Op} {w.Arg0:x} {Errno.Name(w.Result)}");
        }

        foreach (var o in m.K.Oopses.Skip(oopses))
        {
            sb.Append("  OOPS ").Append(o);
        }

        return sb.ToString(notesAt, sb.Length - notesAt).Trim();
    }

    private static string Name(Machine m, uint pgd)

    {
        if (pgd == m.K.SwapperPgd)
        {
            return "swapper";
        }

        for (var mm = 1; mm < m.K.Mms.Capacity; mm++)
        {
            if (m.K.Mms.Live[mm] && m.K.Mms.Pgd[mm] == pgd)
            {
                return "mm" + mm.ToString(CultureInfo.InvariantCulture);
            }
        }

        return "frame " + pgd.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A schedule whose move is not enabled where it comes is a file that does not belong to this scenario.</summary>
    private static FormatException NotPossible(int i, Move c) =>
        new($"move {(i + 1).ToString(CultureInfo.InvariantCulture)}: {c} is not possible here; the schedule does not fit this scenario");
}
