using System.Globalization;
using System.Text;
using System.Text.Json;
using PvMmu.Events;
using PvMmu.Linux.Sched;

namespace PvMmu.Sim.Reports;

/// <summary>
/// A run's Linux xen:* tracepoint counts and the events a kernel engineer compares beside them (guest- and
/// Xen-initiated TLB flushes, IPIs, ptwr emulations), per phase and in total, per vCPU and per task: the
/// <c>events</c> object of <c>run --json</c>, and <c>run --trace-cmd</c>'s lines, the layout of
/// <c>trace-cmd report | awk -f validation/real-xen/tracecmd-count.awk | LC_ALL=C sort | uniq -c</c>.
/// Tasks are the per-task view's (<see cref="TaskTally"/>, <see cref="TaskNames"/>).
/// </summary>
public static class TracepointReport
{
    /// <summary>Every tracepoint event of a tracepoint's own name (xen_mc_entry: its three keys), by that name.</summary>
    private static readonly (string Name, EventKind[] Kinds)[] ByName =
        [.. EventKinds.TracepointEvents.Select(n => (n, EventKinds.Tracepoints.Where(e => EventKinds.TracepointEvent(e) == n).ToArray()))];

    /// <summary>
    /// Writes <c>"events"</c>: the task names, then per phase and in <c>totals</c> (every phase but setup, as the
    /// other totals) the counts over all (<c>all</c>), per vCPU (<c>vcpus</c>, an array) and per task that counted
    /// anything there (<c>tasks</c>, in the order tasks were first named). A run without the per-task view has no
    /// <c>tasks</c> objects.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter w, RunResult r)
    {
        var sink = r.Events;
        var tasks = sink.Tasks;
        w.WriteStartObject("events");
        if (tasks is not null)
        {
            w.WriteStartArray("task_names");
            foreach (var n in tasks.Names)
            {
                w.WriteStringValue(n);
            }

            w.WriteEndArray();
        }

        w.WriteStartObject("phases");
        for (var p = 0; p < sink.Phases; p++)
        {
            w.WriteStartObject(sink.PhaseNames[p]);
            WriteScope(w, sink, p, p);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteStartObject("totals");
        WriteScope(w, sink, Comparison.FirstPhase, sink.Phases - 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteScope(Utf8JsonWriter w, EventSink sink, int from, int to)
    {
        w.WriteStartObject("all");
        WriteCounts(w, e => Sum(from, to, p => sink.InPhase(p, e)));
        w.WriteEndObject();
        w.WriteStartArray("vcpus");
        for (var v = 0; v < sink.Vcpus; v++)
        {
            w.WriteStartObject();
            WriteCounts(w, e => Sum(from, to, p => sink.Get(p, v, e)));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (sink.Tasks is not { } tasks)
        {
            return;
        }

        w.WriteStartObject("tasks");
        for (var t = 0; t < tasks.Names.Count; t++)
        {
            if (!Counted(tasks, t, from, to))
            {
                continue;
            }

            w.WriteStartObject(tasks.Names[t]);
            WriteCounts(w, e => Sum(from, to, p => tasks.InTask(p, t, e)));
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// One scope's counts: <c>tracepoints</c> (every xen:* tracepoint the model fires, by its name in xen.h),
    /// <c>tracepoint_details</c> (the capture's keys that add a field: xen_mc_entry_1, ...), <c>tlb_flushes</c>
    /// (the guest's flush_tlb_multi and flush_tlb_one_user calls, each one hypercall entry to Xen, apart from the
    /// flushes Xen made of its own accord), <c>ipis_sent</c>, <c>ipis_handled</c> and <c>ptwr_emulations</c>.
    /// </summary>
    private static void WriteCounts(Utf8JsonWriter w, Func<EventKind, long> get)
    {
        w.WriteStartObject("tracepoints");
        foreach (var (name, kinds) in ByName)
        {
            long n = 0;
            foreach (var e in kinds)
            {
                n += get(e);
            }

            w.WriteNumber(name, n);
        }

        w.WriteEndObject();
        w.WriteStartObject("tracepoint_details");
        foreach (var e in EventKinds.TracepointDetails)
        {
            w.WriteNumber(EventKinds.TracepointKey(e), get(e));
        }

        w.WriteEndObject();
        w.WriteStartObject("tlb_flushes");
        w.WriteNumber("guest_flush_tlb_multi", get(EventKind.FlushTlbMulti));
        w.WriteNumber("guest_flush_tlb_one_user", get(EventKind.FlushTlbOneUser));
        w.WriteNumber("xen_initiated", get(EventKind.XenInitiatedFlush));
        w.WriteEndObject();
        w.WriteNumber("ipis_sent", get(EventKind.IpiSent));
        w.WriteNumber("ipis_handled", get(EventKind.IpiHandled));
        w.WriteNumber("ptwr_emulations", get(EventKind.PtwrEmulation));
    }

    /// <summary>
    /// The run as <c>trace-cmd report | awk -f validation/real-xen/tracecmd-count.awk | LC_ALL=C sort | uniq -c</c>
    /// prints a real trace: one line per phase, task, vCPU and tracepoint with a count, <c>%7d PHASE TASK [CPU] EVENT</c>,
    /// where EVENT is the tracepoint's name, and, for the tracepoints whose capture key adds a field, a second line
    /// with that key (xen_mc_entry_1, ...); sorted by the text after the count, byte by byte. Every phase, setup
    /// included. It needs the per-task view.
    /// </summary>
    public static string TraceCmd(RunResult r)
    {
        var sink = r.Events;
        var tasks = sink.Tasks ?? throw new InvalidOperationException("the run kept no per-task view");
        var lines = new List<(string Key, long Count)>();
        for (var p = 0; p < sink.Phases; p++)
        {
            for (var t = 0; t < tasks.Names.Count; t++)
            {
                for (var v = 0; v < sink.Vcpus; v++)
                {
                    if (!tasks.Ran(t, v))
                    {
                        continue;
                    }

                    var prefix = string.Create(CultureInfo.InvariantCulture, $"{sink.PhaseNames[p]} {tasks.Names[t]} [{v:000}] ");
                    foreach (var (name, kinds) in ByName)
                    {
                        long n = 0;
                        foreach (var e in kinds)
                        {
                            n += tasks.Get(p, t, v, e);
                        }

                        if (n > 0)
                        {
                            lines.Add((prefix + name, n));
                        }
                    }

                    foreach (var e in EventKinds.TracepointDetails)
                    {
                        var n = tasks.Get(p, t, v, e);
                        if (n > 0)
                        {
                            lines.Add((prefix + EventKinds.TracepointKey(e), n));
                        }
                    }
                }
            }
        }

        var sb = new StringBuilder();
        foreach (var (key, count) in lines.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{count,7} {key}\n");
        }

        return sb.ToString();
    }

    private static bool Counted(TaskTally tasks, int t, int from, int to)
    {
        for (var p = from; p <= to; p++)
        {
            for (var e = 0; e < EventKinds.Count; e++)
            {
                if (tasks.InTask(p, t, (EventKind)e) != 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static long Sum(int from, int to, Func<int, long> get)
    {
        long n = 0;
        for (var p = from; p <= to; p++)
        {
            n += get(p);
        }

        return n;
    }
}
