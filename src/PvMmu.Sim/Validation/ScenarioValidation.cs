using System.Globalization;
using System.Text;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Sim.Workloads;

namespace PvMmu.Sim.Validation;

/// <summary>
/// A workload scenario file on the model against the same file run on a real dom0 by validation/real-xen/pvscen.c:
/// every compared tracepoint (<see cref="PvtestValidation.Compared"/>) per phase (switch, fork, exec, exit; setup is
/// the driver's own fork and is not compared) and per vCPU. The real processes are forks of the driver, so their
/// address spaces hold the driver's own mappings (text, data, stack, vvar/vdso, the control page) beside the
/// scenario's regions; the model's image of each initial process gets one stand-in page in each 2 MiB block (one PTE
/// page) where the real process had present pages outside the scenario's regions (pvscen reads them from
/// /proc/self/pagemap), so the page-table pages the teardown frees are the real ones. A count that differs by exactly
/// what other tasks did on that CPU in the window is reported as such, naming them; any other difference differs.
/// </summary>
public static class ScenarioValidation
{
    /// <summary>The phases compared: each step's window (pvscen marks them with the model's phase names).</summary>
    public static IReadOnlyList<string> Phases { get; } = ["switch", "fork", "exec", "exit"];

    /// <summary>The scenario with the real processes' other mappings added as stand-in pages (see the type's summary).</summary>
    public static WorkloadSpec WithStandIns(WorkloadSpec spec, RealCapture real)
    {
        var images = spec.Images.ToList();
        var processes = spec.Processes.ToList();
        for (var p = 0; p < processes.Count; p++)
        {
            var present = real.Present(spec.Name, p);
            if (present.Count == 0)
            {
                continue;
            }

            var im = images[processes[p].Image];
            var stackBottom = ProcessImage.StackTop - ((ulong)im.StackPages << 12);
            var extra = present.Where(a => a < stackBottom && !im.Regions.Any(r => a >= r.Start && a < r.Start + ((ulong)r.Pages << 12)))
                .Select(a => new MemoryRegion(a & ~0xFFFUL, 1));
            images.Add(im with { Name = im.Name + "+driver", Regions = [.. im.Regions, .. extra] });
            processes[p] = processes[p] with { Image = images.Count - 1 };
        }

        return new WorkloadSpec
        {
            Name = spec.Name,
            Vcpus = spec.Vcpus,
            Images = images,
            Processes = processes,
            Programs = spec.Programs,
            Setup = spec.Setup,
            ProcessSlots = spec.ProcessSlots,
        };
    }

    /// <summary>Every compared count of <paramref name="spec"/> in <paramref name="real"/> (a pvscen capture) against the model under <paramref name="strategy"/>.</summary>
    public static List<ScenarioRow> Compare(WorkloadSpec spec, RealCapture real, IExitStrategy strategy)
    {
        if (!real.Has(spec.Name))
        {
            throw new InvalidDataException($"{real.Path}: the capture has no workload '{spec.Name}' (a pvscen run of this scenario)");
        }

        var model = ScenarioModel.Counts(WithStandIns(spec, real), strategy);
        var modelPhases = WorkloadRunner.Phases;
        var rows = new List<ScenarioRow>();
        foreach (var phase in Phases)
        {
            var ph = modelPhases.ToList().IndexOf(phase);
            for (var cpu = 0; cpu < spec.Vcpus; cpu++)
            {
                foreach (var t in PvtestValidation.Compared)
                {
                    var key = EventKinds.TracepointKey(t);
                    var r = real.GetCpu(spec.Name, phase, cpu, key);
                    var m = model[ph][cpu][(int)t];
                    var other = real.GetCpu(spec.Name, phase, cpu, key, other: true);
                    var (verdict, note) = r == m ? (ValidationVerdicts.Equal, "")
                        : other != 0 && r - other == m ? (ValidationVerdicts.OtherTasks, string.Create(CultureInfo.InvariantCulture, $"{other} by other tasks on cpu{cpu}"))
                        : (ValidationVerdicts.Differs, "");
                    if (r != 0 || m != 0)
                    {
                        rows.Add(new ScenarioRow(phase, cpu, key, r, m, verdict, note));
                    }
                }
            }
        }

        return rows;
    }

    public static string Table(WorkloadSpec spec, RealCapture real, IReadOnlyList<ScenarioRow> rows, string strategy)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"real: Linux {real.Linux} PV dom0 on Xen {real.Xen} ({real.Path}), scenario {spec.Name} run by pvscen; model: {strategy}, current Xen rules, {spec.Vcpus} vCPUs\n");
        sb.Append("counts per phase (each step's window) and vCPU; the driver's own mappings are stand-in pages in the model\n\n");
        sb.Append(inv, $"{"phase",-8}{"vcpu",-6}{"tracepoint",-32}{"real",9}{"model",9}{"diff",7}  verdict\n");
        foreach (var r in rows)
        {
            sb.Append(inv, $"{r.Phase,-8}{r.Cpu,-6}{r.Key,-32}{r.Real,9}{r.Model,9}{r.Model - r.Real,7:+0;-0;0}  {r.Verdict}{(r.Note.Length > 0 ? " (" + r.Note + ")" : "")}\n");
        }

        var differs = rows.Count(r => r.Differs);
        var other = rows.Count(r => r.Verdict == ValidationVerdicts.OtherTasks);
        sb.Append(inv, $"\n{rows.Count} counts compared: {rows.Count - differs - other} equal, {other} explained by other tasks' work in the window, {differs} differ\n");
        return sb.ToString();
    }
}
