using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using PvMmu.Xen.Abi;

namespace PvMmu.Sim.Reports;

/// <summary>
/// A run's counts as a table for people and as JSON (snake_case, fixed order) for tools. Setup (building the initial
/// processes) is listed apart and "total" leaves it out, as in <see cref="Comparison"/> and <c>pvmmu bench</c>: a
/// total is what the workload's operations cost.
/// </summary>
public static partial class RunReport
{
    [GeneratedRegex("(?<=[a-z0-9])([A-Z])")]
    private static partial Regex Camel();

    public static string MetricName(Metric m) => Camel().Replace(m.ToString(), "_$1").ToLowerInvariant();

    public static string Table(RunResult r, Costs.ModeledTime? time = null)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"workload {r.Workload}, strategy {r.Strategy}, {r.Vcpus} vCPUs, {r.Pages} pages, Xen {r.Xen}\n");
        var cols = r.Phases.Concat(["total"]).ToList();
        var last = r.Phases.Count - 1;
        sb.Append(inv, $"{"",-22}");
        foreach (var c in cols)
        {
            sb.Append(inv, $"{c,12}");
        }

        sb.Append('\n');
        foreach (var m in Enum.GetValues<Metric>())
        {
            sb.Append(inv, $"{MetricName(m),-22}");
            for (var p = 0; p < r.Phases.Count; p++)
            {
                sb.Append(inv, $"{r.Get(p, m),12}");
            }

            sb.Append(inv, $"{r.From(Comparison.FirstPhase, m),12}\n");
        }

        if (time is not null)
        {
            sb.Append(inv, $"{"modeled_us",-22}");
            for (var p = 0; p < r.Phases.Count; p++)
            {
                sb.Append(inv, $"{time.PhaseMicros(p),12:0.0}");
            }

            sb.Append(inv, $"{time.Micros(Comparison.FirstPhase, last),12:0.0}\n");
            sb.Append(inv, $"(cost table {time.Table.Name}, {time.Table.Source}; per vCPU:");
            for (var v = 0; v < r.Vcpus; v++)
            {
                sb.Append(inv, $" {time.VcpuMicros(v):0.0}");
            }

            sb.Append(" µs, setup included)\n");
        }

        sb.Append("(total: every phase but setup, as compare and bench count it)\n");

        foreach (var w in r.WarningList)
        {
            sb.Append(inv, $"WARNING: cpu {w.Cpu}: call {w.Entry + 1}: {w.Op} arg {w.Arg0:x} failed: {Errno.Name(w.Result)}\n");
        }

        foreach (var o in r.Oopses)
        {
            sb.Append("OOPS: ").Append(o).Append('\n');
        }

        foreach (var v in r.GuestViolations.Concat(r.XenViolations))
        {
            sb.Append("VIOLATION: ").Append(v).Append('\n');
        }

        return sb.ToString();
    }

    public static string Json(RunResult r, Costs.ModeledTime? time = null)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("seed", r.Seed);
            w.WriteString("workload", r.Workload);
            w.WriteString("strategy", r.Strategy);
            w.WriteNumber("vcpus", r.Vcpus);
            w.WriteNumber("pages", r.Pages);
            w.WriteString("xen", r.Xen);
            w.WriteStartObject("phases");
            for (var p = 0; p < r.Phases.Count; p++)
            {
                w.WriteStartObject(r.Phases[p]);
                foreach (var m in Enum.GetValues<Metric>())
                {
                    w.WriteNumber(MetricName(m), r.Get(p, m));
                }

                if (time is not null)
                {
                    w.WriteNumber("modeled_us", Math.Round(time.PhaseMicros(p), 3));
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteStartObject("totals");
            foreach (var m in Enum.GetValues<Metric>())
            {
                w.WriteNumber(MetricName(m), r.From(Comparison.FirstPhase, m));
            }

            if (time is not null)
            {
                w.WriteNumber("modeled_us", Math.Round(time.Micros(Comparison.FirstPhase, r.Phases.Count - 1), 3));
            }

            w.WriteEndObject();
            w.WriteString("totals_leave_out", "setup");
            if (time is not null)
            {
                w.WriteString("cost_table", time.Table.Name);
                w.WriteStartArray("vcpu_modeled_us");
                for (var v = 0; v < r.Vcpus; v++)
                {
                    w.WriteNumberValue(Math.Round(time.VcpuMicros(v), 3));
                }

                w.WriteEndArray();
            }

            w.WriteStartArray("warning_list");
            foreach (var x in r.WarningList)
            {
                w.WriteStartObject();
                w.WriteNumber("cpu", x.Cpu);
                w.WriteNumber("call", x.Entry + 1);
                w.WriteString("op", x.Op.ToString());
                w.WriteString("arg", "0x" + x.Arg0.ToString("x", CultureInfo.InvariantCulture));
                w.WriteString("result", Errno.Name(x.Result));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("oopses");
            foreach (var o in r.Oopses)
            {
                w.WriteStringValue(o);
            }

            w.WriteEndArray();
            w.WriteStartArray("violations");
            foreach (var v in r.GuestViolations.Concat(r.XenViolations))
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            TracepointReport.WriteJson(w, r);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
