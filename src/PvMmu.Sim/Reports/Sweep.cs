using System.Globalization;
using System.Text;
using System.Text.Json;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Reports;

/// <summary>
/// A workload's cost as the process grows (<c>pvmmu sweep</c>): one run per size and strategy, the same seed
/// throughout, priced by one cost table; modeled µs of the operations (every phase but setup), per page, and the
/// events that grow with the size.
/// </summary>
public sealed class Sweep
{
    private Sweep(string workload, int vcpus, IReadOnlyList<int> sizes, IReadOnlyList<string> strategies, CostTable table, ulong seed, string xen, RunResult[,] runs)
    {
        Workload = workload;
        Vcpus = vcpus;
        Sizes = sizes;
        Strategies = strategies;
        Table = table;
        Seed = seed;
        Xen = xen;
        Runs = runs;
        Micros = new double[strategies.Count, sizes.Count];
        for (var s = 0; s < strategies.Count; s++)
        {
            for (var i = 0; i < sizes.Count; i++)
            {
                Micros[s, i] = new ModeledTime(runs[s, i].Events, table).Micros(Comparison.FirstPhase, runs[s, i].Phases.Count - 1);
            }
        }
    }

    public string Workload { get; }

    public int Vcpus { get; }

    public IReadOnlyList<int> Sizes { get; }

    public IReadOnlyList<string> Strategies { get; }

    public CostTable Table { get; }

    public ulong Seed { get; }

    public string Xen { get; }

    /// <summary>[strategy, size].</summary>
    public RunResult[,] Runs { get; }

    /// <summary>Modeled µs of the operations, [strategy, size].</summary>
    public double[,] Micros { get; }

    /// <summary>The workloads whose size is the <c>pages</c> parameter.</summary>
    public static IReadOnlyList<string> Sizable { get; } = ["teardown", "fork-exit", "fork-exec-exit", "lazy-exit"];

    public static Sweep Run(string workload, int vcpus, IReadOnlyList<int> sizes, IReadOnlyList<IExitStrategy> strategies, CostTable table, ulong seed, XenVersion xen, Action<int>? progress = null)
    {
        if (!Sizable.Contains(workload))
        {
            throw new ArgumentException($"workload '{workload}' has no size to sweep; valid: {string.Join(", ", Sizable)}");
        }

        var runs = new RunResult[strategies.Count, sizes.Count];
        var done = 0;
        for (var i = 0; i < sizes.Count; i++)
        {
            for (var s = 0; s < strategies.Count; s++)
            {
                runs[s, i] = WorkloadRunner.Run(workload, strategies[s], vcpus, sizes[i], seed, xen);
                progress?.Invoke(++done);
            }
        }

        return new Sweep(workload, vcpus, sizes, [.. strategies.Select(s => s.Name)], table, seed, XenRules.Name(xen), runs);
    }

    public int Findings
    {
        get
        {
            var n = 0;
            foreach (var r in Runs)
            {
                n += r.WarningList.Count + r.Oopses.Count + r.GuestViolations.Count + r.XenViolations.Count;
            }

            return n;
        }
    }

    public string TableText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"workload {Workload}, {Vcpus} vCPU{(Vcpus == 1 ? string.Empty : "s")}, Xen {Xen}, cost table {Table.Name} ({Table.Source}); modeled µs of every phase but setup\n\n");
        sb.Append(inv, $"{"pages",10}");
        foreach (var s in Strategies)
        {
            sb.Append(s.PadLeft(Math.Max(14, s.Length + 2))).Append("µs/page".PadLeft(9)).Append("ptwr".PadLeft(9)).Append("hcalls".PadLeft(9));
        }

        sb.Append('\n');
        for (var i = 0; i < Sizes.Count; i++)
        {
            sb.Append(inv, $"{Sizes[i],10}");
            for (var s = 0; s < Strategies.Count; s++)
            {
                var r = Runs[s, i];
                var ptwr = r.From(Comparison.FirstPhase, Metric.PtwrEmulations);
                var hc = r.From(Comparison.FirstPhase, Metric.Hypercalls);

                sb.Append(Micros[s, i].ToString("0.0", inv).PadLeft(Math.Max(14, Strategies[s].Length + 2)));
                sb.Append((Micros[s, i] / Sizes[i]).ToString("0.000", inv).PadLeft(9));
                sb.Append(ptwr.ToString(inv).PadLeft(9)).Append(hc.ToString(inv).PadLeft(9));
            }

            sb.Append('\n');
        }

        if (Findings > 0)
        {
            sb.Append(inv, $"\nFINDING: {Findings} WARNs, oopses or broken invariants over the sweep (pvmmu run shows them one size at a time)\n");
        }

        return sb.ToString();
    }

    public string Json()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", Seed);
            w.WriteString("workload", Workload);
            w.WriteNumber("vcpus", Vcpus);
            w.WriteString("xen", Xen);
            w.WriteString("cost_table", Table.Name);
            w.WriteStartArray("pages");
            foreach (var p in Sizes)
            {
                w.WriteNumberValue(p);
            }

            w.WriteEndArray();
            w.WriteStartArray("strategies");
            for (var s = 0; s < Strategies.Count; s++)
            {
                w.WriteStartObject();
                w.WriteString("name", Strategies[s]);
                w.WriteStartArray("points");
                for (var i = 0; i < Sizes.Count; i++)
                {
                    var r = Runs[s, i];
                    w.WriteStartObject();
                    w.WriteNumber("pages", Sizes[i]);
                    w.WriteNumber("micros", Math.Round(Micros[s, i], 3));
                    w.WriteStartObject("events");
                    foreach (var m in Enum.GetValues<Metric>())
                    {
                        w.WriteNumber(RunReport.MetricName(m), r.From(Comparison.FirstPhase, m));
                    }

                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The HTML report's data: growth with size, and the largest size's breakdown by phase and category.</summary>
    public CostReportData ReportData(string command)
    {
        var last = Sizes.Count - 1;
        var times = Enumerable.Range(0, Strategies.Count).Select(s => new ModeledTime(Runs[s, last].Events, Table)).ToArray();
        var phases = Runs[0, last].Phases.Skip(Comparison.FirstPhase).ToList();
        var events = EventKinds.Priced.Where(e => times.Any(t => t.EventMicros(e, Comparison.FirstPhase, phases.Count) > 0)).ToList();
        return new CostReportData
        {
            Title = $"{Workload} sweep, {Sizes[0]}..{Sizes[last]} pages: {string.Join(" vs ", Strategies)}",
            Command = command,
            Seed = Seed,
            CostTable = $"{Table.Name} ({Table.Source})",
            Strategies = Strategies,
            Phases = phases,
            PhaseMicros = [.. times.Select(t => Enumerable.Range(Comparison.FirstPhase, phases.Count).Select(t.PhaseMicros).ToArray())],
            Categories = [.. events.Select(CostTable.Key)],
            CategoryMicros = [.. times.Select(t => events.Select(e => t.EventMicros(e, Comparison.FirstPhase, phases.Count)).ToArray())],
            SweepPages = Sizes,
            SweepMicros = [.. Enumerable.Range(0, Strategies.Count).Select(s => Enumerable.Range(0, Sizes.Count).Select(i => Micros[s, i]).ToArray())],
            TableText = TableText(),
        };
    }
}
