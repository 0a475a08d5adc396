using System.Globalization;
using System.Text;
using System.Text.Json;
using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Reports;

/// <summary>
/// One workload run under several strategies with the same seed, priced by one cost table: the side-by-side table
/// of <c>pvmmu compare</c> (events and modeled µs per phase, deltas against the first strategy, in %), its JSON,
/// and the data of its HTML report. The setup phase (building the initial processes) is shown apart and left out
/// of the totals: the totals are what the workload's operations cost. With the native platform among the runs, one
/// column is the same workload on bare hardware (its exit is <see cref="NativeExit"/>, whatever the strategies), and
/// <see cref="PlatformText"/> sets each Xen PV run against it.
/// </summary>
public sealed class Comparison
{
    private Comparison(WorkloadSpec spec, CostTable table, ulong seed, string xen, RunResult[] runs, Platform[] platforms)
    {
        Platforms = platforms;
        Spec = spec;
        Table = table;
        Seed = seed;
        Xen = xen;
        Runs = runs;
        Times = [.. runs.Select(r => new ModeledTime(r.Events, table))];
    }

    public WorkloadSpec Spec { get; }

    public CostTable Table { get; }

    public ulong Seed { get; }

    public string Xen { get; }

    public IReadOnlyList<RunResult> Runs { get; }

    public IReadOnlyList<ModeledTime> Times { get; }

    /// <summary>The platform each run is on, in the order of <see cref="Runs"/>.</summary>
    public IReadOnlyList<Platform> Platforms { get; }

    /// <summary>The name a platform goes by on the command line and in JSON: native, xen-pv.</summary>
    public static string PlatformName(Platform p) => p == Platform.Native ? "native" : "xen-pv";

    /// <summary>Phases 1.. (every phase but setup).</summary>
    public const int FirstPhase = 1;

    public static Comparison Run(WorkloadSpec spec, IReadOnlyList<IExitStrategy> strategies, CostTable table, ulong seed, XenVersion xen, Action<int>? progress = null) =>
        Run(spec, strategies, table, seed, xen, [Platform.XenPv], progress);

    /// <summary>
    /// The runs of <paramref name="platforms"/> in their order: native once (it has no exit strategy to vary), Xen PV
    /// once per strategy. The first run is the baseline.
    /// </summary>
    public static Comparison Run(WorkloadSpec spec, IReadOnlyList<IExitStrategy> strategies, CostTable table, ulong seed, XenVersion xen, IReadOnlyList<Platform> platforms, Action<int>? progress = null)
    {
        var plan = new List<(Platform Platform, IExitStrategy Strategy)>();
        foreach (var p in platforms)
        {
            if (p == Platform.Native)
            {
                plan.Add((p, new NativeExit()));
                continue;
            }

            plan.AddRange(strategies.Select(s => (p, s)));
        }

        var runs = new RunResult[plan.Count];
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = WorkloadRunner.Run(spec, plan[i].Strategy, seed, xen, platform: plan[i].Platform);
            progress?.Invoke(i + 1);
        }

        return new Comparison(spec, table, seed, XenRules.Name(xen), runs, [.. plan.Select(x => x.Platform)]);
    }

    /// <summary>How many runs <see cref="Run(WorkloadSpec, IReadOnlyList{IExitStrategy}, CostTable, ulong, XenVersion, IReadOnlyList{Platform}, Action{int}?)"/> makes.</summary>
    public static int RunCount(int strategies, IReadOnlyList<Platform> platforms) => platforms.Sum(p => p == Platform.Native ? 1 : strategies);

    /// <summary>
    /// Each Xen PV run against the native one, lmbench-style (as SOSP 2003's Table 3): per phase and in total, the
    /// native µs, the Xen PV µs, their difference (the modeled Xen overhead) and their ratio. Empty unless both
    /// platforms ran.
    /// </summary>
    public string PlatformText()
    {
        var native = Enumerable.Range(0, Runs.Count).FirstOrDefault(i => Platforms[i] == Platform.Native, -1);
        var xen = Enumerable.Range(0, Runs.Count).Where(i => Platforms[i] == Platform.XenPv).ToList();
        if (native < 0 || xen.Count == 0)
        {
            return string.Empty;
        }

        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("Xen PV vs native, modeled µs (lmbench-style, as SOSP 2003 Table 3; setup not in total):\n");
        const int Label = 12;
        const int Col = 11;
        sb.Append("phase".PadRight(Label)).Append("native".PadLeft(Col));
        var widths = xen.Select(x => Math.Max(Col, ("xen " + Runs[x].Strategy).Length) + 2).ToList();
        for (var i = 0; i < xen.Count; i++)
        {
            sb.Append(("xen " + Runs[xen[i]].Strategy).PadLeft(widths[i])).Append("Xen−native".PadLeft(Col + 1)).Append("ratio".PadLeft(8));
        }

        sb.Append('\n');
        for (var p = FirstPhase; p <= Runs[native].Phases.Count; p++)
        {
            var total = p == Runs[native].Phases.Count;
            var phase = p;
            Func<int, double> micros = total ? TotalMicros : s => Times[s].PhaseMicros(phase);
            var n = micros(native);
            sb.Append(("  " + (total ? "total" : Runs[native].Phases[p])).PadRight(Label)).Append(n.ToString("0.0", inv).PadLeft(Col));
            for (var i = 0; i < xen.Count; i++)
            {
                var v = micros(xen[i]);
                sb.Append(v.ToString("0.0", inv).PadLeft(widths[i]))
                    .Append((v - n).ToString("+0.0;-0.0;0.0", inv).PadLeft(Col + 1))
                    .Append((n == 0 ? (v == 0 ? "=" : "–") : (v / n).ToString("0.00", inv) + "×").PadLeft(8));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Modeled µs of the workload's operations (every phase but setup) under strategy <paramref name="s"/>.</summary>
    public double TotalMicros(int s) => Times[s].Micros(FirstPhase, Runs[s].Phases.Count - 1);

    /// <summary>The band of <see cref="TotalMicros"/> over the cost table's price intervals.</summary>
    public (double Low, double High) TotalBand(int s) => Times[s].Band(FirstPhase, Runs[s].Phases.Count - 1);

    /// <summary>
    /// The band of strategy <paramref name="s"/>'s difference from the baseline's total, in %: least and greatest over
    /// the price intervals, both totals priced at the same corner (the prices are the same whichever path runs).
    /// </summary>
    public (double Low, double High) DeltaBand(int s) => PriceBand.Of(Table, ns =>
    {
        var b = Times[0].MicrosAt(ns, FirstPhase, Runs[0].Phases.Count - 1);
        return b == 0 ? 0 : 100 * (Times[s].MicrosAt(ns, FirstPhase, Runs[s].Phases.Count - 1) - b) / b;
    });

    /// <summary>
    /// Every strategy's total with its band, and every difference from the baseline with its band and whether its
    /// sign holds over the band ("robust") or not; the intervals it is priced over named first.
    /// </summary>
    public string BandText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var over = Table.Intervals.Count == 0
            ? "the cost table gives no price intervals, so each band is one value"
            : "over " + string.Join(", ", Table.Intervals.Select(i => string.Create(inv, $"{CostTable.Key(i.Event)} {i.LowNs:0.###}–{i.HighNs:0.###} ns")));
        sb.Append(inv, $"bands ({over}):\n");
        for (var s = 0; s < Runs.Count; s++)
        {
            var (lo, hi) = TotalBand(s);
            sb.Append(inv, $"  {Runs[s].Strategy}: {TotalMicros(s):0.0} µs, band {lo:0.0} – {hi:0.0} µs\n");
        }

        for (var s = 1; s < Runs.Count; s++)
        {
            sb.Append(inv, $"  {Runs[s].Strategy} vs {Runs[0].Strategy}: {PriceBand.DeltaText(DeltaBand(s))}\n");
        }

        return sb.ToString();
    }

    /// <summary>A strategy's findings: WARNs, oopses and broken invariants.</summary>
    public int Findings(int s) => Runs[s].WarningList.Count + Runs[s].Oopses.Count + Runs[s].GuestViolations.Count + Runs[s].XenViolations.Count;

    private long Events(int s, Metric m) => Runs[s].From(FirstPhase, m);

    /// <summary>The cost events some strategy spends time on, in <see cref="EventKind"/> order.</summary>
    public IReadOnlyList<EventKind> ActiveEvents() =>
        [.. EventKinds.Priced.Where(e => Enumerable.Range(0, Runs.Count).Any(s => Times[s].EventMicros(e, FirstPhase, Runs[s].Phases.Count - 1) > 0))];

    private static string Delta(double baseline, double x) =>
        baseline == 0 ? (x == 0 ? "=" : "new") : (100 * (x - baseline) / baseline).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>The width text tables are laid out for: a terminal's default, whatever the terminal is (so output is the same everywhere).</summary>
    public const int TextWidth = 80;

    /// <summary>
    /// The comparison as text tables: modeled time per phase, then (unless <paramref name="timeOnly"/>) events and
    /// where the time goes. Each column is as wide as its name or values need; strategies that do not fit in
    /// <paramref name="width"/> beside the baseline go into further blocks of the same rows, each again with the
    /// baseline, so a table wraps cleanly rather than by the terminal.
    /// </summary>
    public string TableText(int width = TextWidth, bool timeOnly = false)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var n = Runs.Count;
        const int Label = 24;
        const int DeltaWidth = 9;
        sb.Append(inv, $"workload {Spec.Name}, {Spec.Vcpus} vCPU{(Spec.Vcpus == 1 ? string.Empty : "s")}, Xen {Xen}; Δ against {Runs[0].Strategy}\ncost table {Table.Name} ({Table.Source})\n\n");

        // Every value a column shows, to size it: the widest of the name and the values, and two spaces.
        var widths = new int[n];
        for (var s = 0; s < n; s++)
        {
            var values = new List<double> { TotalMicros(s), Times[s].PhaseMicros(0) };
            for (var p = FirstPhase; p < Runs[s].Phases.Count; p++)
            {
                values.Add(Times[s].PhaseMicros(p));
            }

            foreach (var e in ActiveEvents())
            {
                values.Add(Times[s].EventMicros(e, FirstPhase, Runs[s].Phases.Count - 1));
            }

            var widest = values.Max(v => v.ToString("0.0", inv).Length);
            foreach (var m in Enum.GetValues<Metric>())
            {
                widest = Math.Max(widest, Events(s, m).ToString(inv).Length);
            }

            widths[s] = Math.Max(Runs[s].Strategy.Length, widest) + 2;
        }

        var blocks = new List<List<int>>();
        var current = new List<int>();
        var used = Label + widths[0];
        for (var s = 1; s < n; s++)
        {
            if (current.Count > 0 && used + widths[s] + DeltaWidth > width)
            {
                blocks.Add(current);
                current = [];
                used = Label + widths[0];
            }

            current.Add(s);
            used += widths[s] + DeltaWidth;
        }

        blocks.Add(current);
        IReadOnlyList<int> columns = [];
        void Header(string title)
        {
            sb.Append(title.PadRight(Label));
            foreach (var s in columns)
            {
                sb.Append(Runs[s].Strategy.PadLeft(widths[s]));
                if (s > 0)
                {
                    sb.Append("Δ".PadLeft(DeltaWidth));
                }
            }

            sb.Append('\n');
        }

        void Row(string label, Func<int, double> value, string format)
        {
            sb.Append(label.PadRight(Label));
            foreach (var s in columns)
            {
                sb.Append(value(s).ToString(format, inv).PadLeft(widths[s]));
                if (s > 0)
                {
                    sb.Append(Delta(value(0), value(s)).PadLeft(DeltaWidth));
                }
            }

            sb.Append('\n');
        }

        for (var bi = 0; bi < blocks.Count; bi++)
        {
            columns = n == 1 ? [0] : [0, .. blocks[bi]];
            if (bi > 0)
            {
                sb.Append('\n');
            }

            Block(timeOnly);
            if (n == 1)
            {
                break;
            }
        }

        for (var s = 0; s < n; s++)
        {
            if (Findings(s) > 0)
            {
                sb.Append(inv, $"\nFINDING: {Runs[s].Strategy}: {Runs[s].WarningList.Count} WARN, {Runs[s].Oopses.Count} oops, {Runs[s].GuestViolations.Count + Runs[s].XenViolations.Count} broken invariants");
                foreach (var v in Runs[s].GuestViolations.Concat(Runs[s].XenViolations).Concat(Runs[s].Oopses).Take(3))
                {
                    sb.Append("\n  ").Append(v);
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();

        void Block(bool onlyTime)
        {
            Header("modeled µs");
            for (var p = FirstPhase; p < Runs[0].Phases.Count; p++)
            {
                var phase = p;
                Row("  " + Runs[0].Phases[p], s => Times[s].PhaseMicros(phase), "0.0");
            }

            Row("  total", TotalMicros, "0.0");
            Row("  (setup, not in total)", s => Times[s].PhaseMicros(0), "0.0");
            if (onlyTime)
            {
                return;
            }

            sb.Append('\n');
            Header("events (all but setup)");
            foreach (var m in Enum.GetValues<Metric>())
            {
                var metric = m;
                Row("  " + RunReport.MetricName(m), s => Events(s, metric), "0");
            }

            sb.Append('\n');
            Header("where the time goes (µs)");
            foreach (var e in ActiveEvents())
            {
                var ev = e;
                Row("  " + CostTable.Key(e), s => Times[s].EventMicros(ev, FirstPhase, Runs[s].Phases.Count - 1), "0.0");
            }
        }
    }

    public string Json()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", Seed);
            w.WriteString("workload", Spec.Name);
            w.WriteNumber("vcpus", Spec.Vcpus);
            w.WriteString("xen", Xen);
            w.WriteString("cost_table", Table.Name);
            w.WriteString("cost_table_source", Table.Source);
            w.WriteString("baseline", Runs[0].Strategy);
            w.WriteString("baseline_platform", PlatformName(Platforms[0]));
            w.WriteStartArray("strategies");
            for (var s = 0; s < Runs.Count; s++)
            {
                var r = Runs[s];
                w.WriteStartObject();
                w.WriteString("name", r.Strategy);
                w.WriteString("platform", PlatformName(Platforms[s]));
                w.WriteNumber("total_micros", Math.Round(TotalMicros(s), 3));
                if (s > 0 && TotalMicros(0) > 0)
                {
                    w.WriteNumber("delta_percent", Math.Round(100 * (TotalMicros(s) - TotalMicros(0)) / TotalMicros(0), 2));
                    var d = DeltaBand(s);
                    w.WriteStartArray("delta_band_percent");
                    w.WriteNumberValue(Math.Round(d.Low, 2));
                    w.WriteNumberValue(Math.Round(d.High, 2));
                    w.WriteEndArray();
                    w.WriteBoolean("sign_robust", PriceBand.SignRobust(d));
                }

                var band = TotalBand(s);
                w.WriteStartArray("total_band_micros");
                w.WriteNumberValue(Math.Round(band.Low, 3));
                w.WriteNumberValue(Math.Round(band.High, 3));
                w.WriteEndArray();

                w.WriteStartObject("phases");
                for (var p = 0; p < r.Phases.Count; p++)
                {
                    w.WriteStartObject(r.Phases[p]);
                    w.WriteNumber("micros", Math.Round(Times[s].PhaseMicros(p), 3));
                    w.WriteStartObject("events");
                    foreach (var m in Enum.GetValues<Metric>())
                    {
                        w.WriteNumber(RunReport.MetricName(m), r.Get(p, m));
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
                w.WriteStartArray("vcpu_micros");
                for (var v = 0; v < r.Vcpus; v++)
                {
                    w.WriteNumberValue(Math.Round(Times[s].VcpuMicros(v), 3));
                }

                w.WriteEndArray();
                w.WriteStartObject("cost_micros");
                foreach (var e in EventKinds.Priced)
                {
                    w.WriteNumber(CostTable.Key(e), Math.Round(Times[s].EventMicros(e, FirstPhase, r.Phases.Count - 1), 3));
                }

                w.WriteEndObject();
                w.WriteStartObject("cost_counts");
                foreach (var e in EventKinds.Priced)
                {
                    long c = 0;
                    for (var p = FirstPhase; p < r.Phases.Count; p++)
                    {
                        c += r.Events.InPhase(p, e);
                    }

                    w.WriteNumber(CostTable.Key(e), c);
                }

                w.WriteEndObject();
                w.WriteNumber("warnings", r.WarningList.Count);
                w.WriteNumber("oopses", r.Oopses.Count);
                w.WriteStartArray("violations");
                foreach (var v in r.GuestViolations.Concat(r.XenViolations))
                {
                    w.WriteStringValue(v);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The data of the HTML report: µs per phase and per cost category, for each strategy.</summary>
    public CostReportData ReportData(string command)
    {
        var phases = Runs[0].Phases.Skip(FirstPhase).ToList();
        var events = ActiveEvents();
        return new CostReportData
        {
            Title = $"{Spec.Name}: {string.Join(" vs ", Runs.Select(r => r.Strategy))}",
            Command = command,
            Seed = Seed,
            CostTable = $"{Table.Name} ({Table.Source})",
            Strategies = [.. Runs.Select(r => r.Strategy)],
            Phases = phases,
            PhaseMicros = [.. Enumerable.Range(0, Runs.Count).Select(s => Enumerable.Range(FirstPhase, phases.Count).Select(p => Times[s].PhaseMicros(p)).ToArray())],
            TotalBands = [.. Enumerable.Range(0, Runs.Count).Select(s => new[] { TotalBand(s).Low, TotalBand(s).High })],
            Categories = [.. events.Select(CostTable.Key)],
            CategoryMicros = [.. Enumerable.Range(0, Runs.Count).Select(s => events.Select(e => Times[s].EventMicros(e, FirstPhase, Runs[s].Phases.Count - 1)).ToArray())],
            TableText = TableText() + "\n" + BandText(),
        };
    }
}
