using System.Text;
using System.Text.Json;
using PvMmu.Events;
using PvMmu.Linux;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Sim.Costs;

namespace PvMmu.Sim.Reports;

/// <summary>
/// A run as a Chrome/Perfetto trace (JSON trace-event format), one track per vCPU, on the modeled clock. Each move is
/// a slice as long as its priced events; inside it, one slice per group (hypercalls, traps, TLB and CR3, IPIs,
/// native work) and inside those one per event kind, laid end to end. A lazy mode is a slice from the end of the move
/// that left the vCPU in it to the end of the move that found it gone, so it encloses whole moves and nests. Each
/// vCPU has its own clock; a move starts no earlier than the move before it in the schedule, so the schedule's
/// order is the timeline's. Everything a move counts is charged to the vCPU that moved. A move's slice carries in
/// its arguments the task it ran for (with the run's per-task view: the task current on the vCPU as the move began,
/// <see cref="TaskTally"/>) and the xen:* tracepoints it fired, under their names in xen.h, as <c>run --json</c>
/// and <c>run --trace-cmd</c> name them.
/// </summary>
public sealed class RunTrace
{
    private static readonly (string Name, EventKind[] Events)[] Groups =
    [
        ("hypercalls", [EventKind.Hypercall, EventKind.MulticallEntry, EventKind.MmuUpdateRequest, EventKind.MmuExtOp, EventKind.UpdateVaMapping, EventKind.EntriesValidated, EventKind.EntriesDevalidated]),
        ("traps", [EventKind.PtwrEmulation, EventKind.FaultInjected]),
        ("TLB and CR3", [EventKind.LocalFlush, EventKind.LocalInvlpg, EventKind.RemoteFlush, EventKind.RemoteFlushTargets, EventKind.Cr3Load, EventKind.TypeChangeFlush, EventKind.TlbFill, EventKind.ModeSwitch]),
        ("IPIs", [EventKind.IpiSent, EventKind.IpiHandled]),
        ("native", [EventKind.NativePteStore, EventKind.PageFault, EventKind.ContextSwitch, EventKind.Fork, EventKind.Exec, EventKind.Exit]),
    ];

    private readonly CostTable _table;
    private readonly List<Slice> _slices = [];
    private long[] _clock = [];
    private long[] _last = [];
    private LazyMode[] _lazy = [];
    private long[] _lazySince = [];
    private long _lastStart;
    private int _pendingCpu = -1;
    private string _pendingName = string.Empty;
    private string? _pendingTask;
    private int _pendingPhase;
    private int _moves;

    public RunTrace(CostTable table) => _table = table;

    /// <summary>
    /// One complete ("X") event: a track (vCPU), a start and a duration in whole modeled nanoseconds (each event's
    /// time is rounded once, so children add up exactly to their parent), a nesting depth.
    /// </summary>
    public readonly record struct Slice(int Track, long Start, long Duration, int Depth, string Name, string Category, int Move, string Phase)
    {
        /// <summary>A move's task (the trace's comm), when the run keeps the per-task view.</summary>
        public string? Task { get; init; }

        /// <summary>A move's xen:* tracepoint counts by name, those it fired.</summary>
        public IReadOnlyList<(string Name, long Count)> Tracepoints { get; init; } = [];
    }

    public IReadOnlyList<Slice> Slices => _slices;

    /// <summary>The hook for <see cref="Workloads.WorkloadRunner.Run(Workloads.WorkloadSpec, Linux.Exit.IExitStrategy, ulong, Xen.XenVersion, bool, int, Action{Machine, Move, int}?, bool, Linux.Boot.Platform)"/>.</summary>
    public void Observe(Machine m, Move next, int phase)
    {
        var k = m.K;
        if (_clock.Length == 0)
        {
            _clock = new long[k.Cpus];
            _last = new long[k.Cpus * EventKinds.Count];
            _lazy = new LazyMode[k.Cpus];
            _lazySince = new long[k.Cpus];
            for (var v = 0; v < k.Cpus; v++)
            {
                Read(k, v, _last.AsSpan(v * EventKinds.Count, EventKinds.Count));
            }
        }

        if (_pendingCpu >= 0)
        {
            Close(k);
        }

        if (phase < 0)
        {
            // The programs are done: close every lazy mode still open.
            for (var v = 0; v < _lazy.Length; v++)
            {
                if (_lazy[v] != LazyMode.None)
                {
                    _slices.Add(new Slice(v, _lazySince[v], _clock[v] - _lazySince[v], 0, "lazy " + _lazy[v], "lazy", 0, string.Empty));
                    _lazy[v] = LazyMode.None;
                }
            }

            return;
        }

        _pendingCpu = next.Cpu;
        _pendingPhase = phase;
        _pendingName = next.Kind == MoveKind.TakeIpi ? "take IPI" : m.CurrentOp(next.Cpu)?.ToString() ?? "idle";
        _pendingTask = k.Events.Tasks is { } tasks ? tasks.Names[tasks.Current(next.Cpu)] : null;
    }

    /// <summary>The priced and tracepoint counts of vCPU <paramref name="v"/> so far, every phase (other slots stay 0).</summary>
    private static void Read(Kernel k, int v, Span<long> into)
    {
        foreach (var e in EventKinds.Priced)
        {
            into[(int)e] = k.Events.ForVcpu(v, e);
        }

        foreach (var e in EventKinds.Tracepoints)
        {
            into[(int)e] = k.Events.ForVcpu(v, e);
        }
    }

    private void Close(Kernel k)
    {
        var cpu = _pendingCpu;
        _pendingCpu = -1;
        _moves++;
        Span<long> now = stackalloc long[EventKinds.Count * k.Cpus];
        Span<long> ns = stackalloc long[EventKinds.Count];
        Span<long> counts = stackalloc long[EventKinds.Count];
        ns.Clear();
        counts.Clear();
        for (var v = 0; v < k.Cpus; v++)
        {
            var cur = now.Slice(v * EventKinds.Count, EventKinds.Count);
            Read(k, v, cur);
            for (var e = 0; e < EventKinds.Count; e++)
            {
                var d = cur[e] - _last[(v * EventKinds.Count) + e];
                counts[e] += d;
                ns[e] += (long)Math.Round(d * _table[(EventKind)e]);
            }
        }

        now.CopyTo(_last);
        long total = 0;
        foreach (var x in ns)
        {
            total += x;
        }

        var start = Math.Max(_clock[cpu], _lastStart);
        _lastStart = start;
        var phase = Workloads.WorkloadRunner.Phases[_pendingPhase];
        var tracepoints = new List<(string, long)>();
        foreach (var name in EventKinds.TracepointEvents)
        {
            long n = 0;
            foreach (var e in EventKinds.Tracepoints)
            {
                n += EventKinds.TracepointEvent(e) == name ? counts[(int)e] : 0;
            }

            if (n > 0)
            {
                tracepoints.Add((name, n));
            }
        }

        _slices.Add(new Slice(cpu, start, total, 1, _pendingName, phase, _moves, phase) { Task = _pendingTask, Tracepoints = tracepoints });
        var t = start;
        foreach (var (name, events) in Groups)
        {
            long g = 0;
            foreach (var e in events)
            {
                g += ns[(int)e];
            }

            if (g == 0)
            {
                continue;
            }

            _slices.Add(new Slice(cpu, t, g, 2, name, name, _moves, phase));
            var u = t;
            foreach (var e in events)
            {
                if (ns[(int)e] == 0)
                {
                    continue;
                }

                _slices.Add(new Slice(cpu, u, ns[(int)e], 3, $"{CostTable.Key(e)} ×{counts[(int)e]}", name, _moves, phase));
                u += ns[(int)e];
            }

            t += g;
        }

        _clock[cpu] = start + total;

        // Lazy modes, as the move left them.
        for (var v = 0; v < k.Cpus; v++)
        {
            var mode = k.Lazy[v];
            if (mode == _lazy[v])
            {
                continue;
            }

            if (_lazy[v] != LazyMode.None)
            {
                var end = Math.Max(_clock[v], _lazySince[v]);
                _slices.Add(new Slice(v, _lazySince[v], end - _lazySince[v], 0, "lazy " + _lazy[v], "lazy", 0, string.Empty));
            }

            _lazy[v] = mode;
            _lazySince[v] = _clock[v];
        }
    }

    /// <summary>
    /// The trace as Chrome JSON: metadata names the tracks; slices sorted by track, start, then outermost first (the
    /// longer, then the shallower); a lazy mode entered and left within one instant is left out.
    /// </summary>
    public string ToJson(string title)
    {
        var ordered = _slices.Where(s => s.Duration > 0 || s.Depth > 0).OrderBy(s => s.Track).ThenBy(s => s.Start).ThenByDescending(s => s.Duration).ThenBy(s => s.Depth).ToList();
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ns");
            w.WriteStartArray("traceEvents");
            w.WriteStartObject();
            w.WriteString("name", "process_name");
            w.WriteString("ph", "M");
            w.WriteNumber("pid", 1);
            w.WriteNumber("tid", 0);
            w.WriteStartObject("args");
            w.WriteString("name", title);
            w.WriteEndObject();
            w.WriteEndObject();
            for (var v = 0; v < _clock.Length; v++)
            {
                w.WriteStartObject();
                w.WriteString("name", "thread_name");
                w.WriteString("ph", "M");
                w.WriteNumber("pid", 1);
                w.WriteNumber("tid", v);
                w.WriteStartObject("args");
                w.WriteString("name", $"vCPU {v}");
                w.WriteEndObject();
                w.WriteEndObject();
            }

            foreach (var s in ordered)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteString("cat", s.Category);
                w.WriteString("ph", "X");
                w.WriteNumber("ts", s.Start / 1000m);
                w.WriteNumber("dur", s.Duration / 1000m);
                w.WriteNumber("pid", 1);
                w.WriteNumber("tid", s.Track);
                w.WriteStartObject("args");
                if (s.Move > 0)
                {
                    w.WriteNumber("move", s.Move);
                    w.WriteString("phase", s.Phase);
                }

                if (s.Task is not null)
                {
                    w.WriteString("task", s.Task);
                }

                foreach (var (name, count) in s.Tracepoints)
                {
                    w.WriteNumber(name, count);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
