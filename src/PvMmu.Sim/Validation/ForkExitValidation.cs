using System.Globalization;
using System.Text;
using PvMmu.Linux;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen;

namespace PvMmu.Sim.Validation;

/// <summary>
/// The model against a real capture on fork-exit-N (validation/real-xen: pvtest maps N anonymous pages, touches
/// them, forks; the child exits; the parent waits). The real process's other mappings (its binary, heap, stack,
/// vvar/vdso) add the same counts whatever N is, so each count is compared as its difference from N = 0, which
/// isolates the mapped region; the model maps the region where the real kernel put it (2 MiB aligned, just below the
/// vvar/vdso PTE page), beside a small stand-in for the rest with a page in that PTE page, so page-table pages are
/// shared as they really are. The model runs Linux61 on current Xen rules, one vCPU.
/// </summary>
public static class ForkExitValidation
{
    /// <summary>The tracepoints compared; the others (stack_switch entries, page faults) are not modeled.</summary>
    public static IReadOnlyList<Tracepoint> Compared { get; } =
    [
        Tracepoint.SetPte, Tracepoint.SetPmd, Tracepoint.SetPud, Tracepoint.SetP4d, Tracepoint.PgdPin, Tracepoint.PgdUnpin,
        Tracepoint.AllocPtpage, Tracepoint.ReleasePtpage, Tracepoint.WriteCr3, Tracepoint.McEntryMmuUpdate,
        Tracepoint.McEntryUpdateVaMapping, Tracepoint.McEntryMmuextOp, Tracepoint.McExtendMmuUpdateOk,
        Tracepoint.McExtendMmuUpdateNoSpace, Tracepoint.McFlushReasonArgs, Tracepoint.McFlushReasonBatch, Tracepoint.McCallback,
        Tracepoint.FlushTlbOneUser, Tracepoint.FlushTlbMulti,
    ];

    private const ulong VvarPteBase = 0x7FFF_F7E0_0000UL;

    /// <summary>The phases pvtest marks in fork-exit-N, in order; the model counts each in its own phase (0 is the setup).</summary>
    public static IReadOnlyList<string> Phases { get; } = ["mmap", "touch", "fork", "exit", "munmap"];

    /// <summary>The phases of fork-cow-N: the child writes every page between the fork and its exit.</summary>
    public static IReadOnlyList<string> CowPhases { get; } = ["mmap", "touch", "fork", "cow", "exit", "munmap"];

    /// <summary>
    /// The model's counts per phase (<see cref="Phases"/>) and tracepoint for pvtest's fork-exit-N, step by step as
    /// pvtest does it: the running process maps the region (mmap_region: a VMA, no page-table work), writes each page
    /// (a demand fault each, on its pinned mm), forks; the child is switched to and exits (exit_mm, its exit_mmap);
    /// the parent is switched back to (finish_task_switch drops the child's lazy reference: pgd_free); then the
    /// region is unmapped. With <paramref name="cow"/> (fork-cow-N), the child is switched to in a phase of its own
    /// and writes every page of the region first (a copy-on-write break each).
    /// </summary>
    public static long[][] Model(ulong regionStart, int pages, bool cow = false)
    {
        var phases = cow ? CowPhases : Phases;
        var strategy = new Linux61();
        var k = Kernel.Boot(new KernelConfig { Vcpus = 1, Frames = (2 * pages) + (pages / 256) + 1024, Xen = XenVersion.Current, Phases = phases.Count + 1 });
        const int cpu = 0;
        var parent = MmOps.CreateMm(k, cpu);
        MmOps.MapAnonymous(k, parent, 0x4A_7000UL, 3);
        MmOps.MapAnonymous(k, parent, VvarPteBase + 0x1F_9000UL, 1);
        MmOps.MapAnonymous(k, parent, ProcessImage.StackTop - (4UL << 12), 4);
        MmOps.TouchAll(k, cpu, parent);
        Pinning.PgdPin(k, cpu, k.Mms.Pgd[parent]);
        ContextSwitch(k, cpu, parent);

        k.Xen.Events.Phase = 1;
        if (pages > 0)
        {
            MmOps.MapAnonymous(k, parent, regionStart, pages);
        }

        k.Xen.Events.Phase = 2;
        for (var p = 0; p < pages; p++)
        {
            MmOps.FaultIn(k, cpu, parent, regionStart + ((ulong)p << 12));
        }

        k.Xen.Events.Phase = 3;
        var child = ForkExec.Fork(k, cpu, parent, strategy);
        k.Mms.Users[child] = 1;

        var phase = 4;
        k.Xen.Events.Phase = phase;
        ContextSwitch(k, cpu, child);
        if (cow)
        {
            for (var p = 0; p < pages; p++)
            {
                MmOps.WriteFault(k, cpu, child, regionStart + ((ulong)p << 12));
            }

            k.Xen.Events.Phase = ++phase;
        }

        ExitPath.ExitMm(k, cpu, child, strategy);
        ContextSwitch(k, cpu, parent);
        ExitPath.MmDrop(k, cpu, child, strategy);

        k.Xen.Events.Phase = ++phase;
        if (pages > 0)
        {
            Munmap.Unmap(k, cpu, parent, regionStart, pages);
        }

        var counts = new long[phases.Count][];
        for (var p = 0; p < phases.Count; p++)
        {
            counts[p] = new long[Tracepoints.Count];
            for (var t = 0; t < Tracepoints.Count; t++)
            {
                counts[p][t] = k.Counts.InPhase(p + 1, (Tracepoint)t);
            }
        }

        return counts;
    }

    /// <summary>context_switch to a task of <paramref name="mm"/>: lazy CPU mode around switch_mm, then the batch issued.</summary>
    private static void ContextSwitch(Kernel k, int cpu, int mm)
    {
        k.Lazy[cpu] = LazyMode.Cpu;
        MmOps.SwitchMm(k, cpu, mm);
        k.Mc.Flush(cpu);
        k.Lazy[cpu] = LazyMode.None;
    }

    /// <summary>
    /// Every fork-exit-N of the capture (N &gt; 0, against fork-exit-0) and every fork-cow-N (N &gt; 1, against
    /// fork-cow-1) against the model, per phase and tracepoint. A difference no larger
    /// than the real system's own run-to-run noise for that phase and tracepoint (the largest difference between the
    /// capture and <paramref name="repeat"/>, a second boot, over every workload: a COW fault of the parent that lands
    /// in fork or in exit, a preemption point that splits a batch) is reported as noise, not as a finding. The band is
    /// measured between <paramref name="noiseBase"/> (default: <paramref name="real"/> itself) and the second boot,
    /// so a fresh capture is held to the band of the committed pair.
    /// </summary>
    public static List<ValidationRow> Compare(RealCapture real, RealCapture? repeat = null, RealCapture? noiseBase = null)
    {
        var rows = new List<ValidationRow>();
        if (!real.Has("fork-exit-0"))
        {
            throw new InvalidDataException($"{real.Path}: the capture has no fork-exit-0 to take differences from");
        }

        foreach (var (family, baseline, cow) in new[] { ("fork-exit-", 0, false), ("fork-cow-", 1, true) })
        {
            var baseName = family + baseline.ToString(CultureInfo.InvariantCulture);
            if (!real.Has(baseName))
            {
                continue;
            }

            var phases = cow ? CowPhases : Phases;
            var baseRegion = real.Region(baseName);
            var model0 = baseRegion is { } br ? Model(br.Start, br.Pages, cow) : Model(0, 0, cow);
            var sizes = real.Workloads.Where(w => w.StartsWith(family, StringComparison.Ordinal))
                .Select(w => int.Parse(w[family.Length..], CultureInfo.InvariantCulture)).Where(n => n > baseline).Order().ToList();
            foreach (var n in sizes)
            {
                var name = family + n.ToString(CultureInfo.InvariantCulture);
                var region = real.Region(name) ?? throw new InvalidDataException($"{real.Path}: {name} has no region");
                var modelN = Model(region.Start, region.Pages, cow);
                for (var ph = 0; ph < phases.Count; ph++)
                {
                    var phase = phases[ph];
                    var model = modelN[ph];
                    var zero = model0[ph];
                    long Real(Tracepoint t) => real.Get(name, phase, Tracepoints.Key(t)) - real.Get(baseName, phase, Tracepoints.Key(t));
                    long Model(Tracepoint t) => model[(int)t] - zero[(int)t];
                    var extraEntries = Real(Tracepoint.McEntryMmuUpdate) - Model(Tracepoint.McEntryMmuUpdate);
                    var split = phase == "fork" && extraEntries > 0
                        && Model(Tracepoint.McExtendMmuUpdateOk) - Real(Tracepoint.McExtendMmuUpdateOk) == extraEntries
                        && Real(Tracepoint.SetPte) == Model(Tracepoint.SetPte);
                    foreach (var t in Compared)
                    {
                        var key = Tracepoints.Key(t);
                        var r = Real(t);
                        var m = Model(t);
                        var verdict = r == m ? ValidationVerdicts.Equal
                            : Math.Abs(r - m) <= Noise(noiseBase ?? real, repeat, phase, key) ? ValidationVerdicts.Noise
                            : split && t is Tracepoint.McEntryMmuUpdate or Tracepoint.McExtendMmuUpdateOk ? ValidationVerdicts.PreemptionSplit
                            : ValidationVerdicts.Differs;
                        if (r != 0 || m != 0)
                        {
                            rows.Add(new ValidationRow(name, phase, key, r, m, verdict));
                        }
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>The largest difference between two boots' counts of one phase and key, over every workload both have.</summary>
    public static long Noise(RealCapture a, RealCapture? b, string phase, string key)
    {
        if (b is null)
        {
            return 0;
        }

        long n = 0;
        foreach (var w in a.Workloads.Where(b.Has))
        {
            n = Math.Max(n, Math.Abs(a.Get(w, phase, key) - b.Get(w, phase, key)));
        }

        return n;
    }

    public static string Table(RealCapture real, IReadOnlyList<ValidationRow> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"real: Linux {real.Linux} PV dom0 on Xen {real.Xen} ({real.Path}); model: Linux61, current Xen rules, 1 vCPU\n");
        sb.Append("each count is its difference from fork-exit-0 (the mapped region alone)\n\n");
        sb.Append(inv, $"{"workload",-18}{"phase",-7}{"tracepoint",-32}{"real",9}{"model",9}{"diff",7}  verdict\n");
        foreach (var r in rows)
        {
            sb.Append(inv, $"{r.Workload,-18}{r.Phase,-7}{r.Key,-32}{r.Real,9}{r.Model,9}{r.Model - r.Real,7:+0;-0;0}  {r.Verdict}\n");
        }

        var differs = rows.Count(r => r.Differs);
        var noise = rows.Count(r => r.Verdict == ValidationVerdicts.Noise);
        var split = rows.Count(r => r.Verdict == ValidationVerdicts.PreemptionSplit);
        sb.Append(inv, $"\n{rows.Count} counts compared: {rows.Count - differs - noise - split} equal, {noise} within the real system's run-to-run noise, {split} a batch split by a preemption point (no clock in the model), {differs} differ\n");
        return sb.ToString();
    }
}
