using System.Globalization;
using System.Text;
using PvMmu.Linux;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Workloads;
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

    /// <summary>The model's counts per tracepoint for the fork phase and for the rest (the exit with its switches).</summary>
    public static (long[] Fork, long[] Exit) Model(ulong regionStart, int pages)
    {
        MemoryRegion[] regions = pages > 0
            ? [new(0x4A_7000UL, 3), new(VvarPteBase + 0x1F_9000UL, 1), new(regionStart, pages)]
            : [new(0x4A_7000UL, 3), new(VvarPteBase + 0x1F_9000UL, 1)];
        var spec = new WorkloadSpec
        {
            Name = $"fork-exit-{pages}",
            Vcpus = 1,
            Images = [new ProcessImage("pvtest", regions, 4)],
            Processes = [new InitialProcess(0, 1, 0)],
            Programs = [[new(OpKind.Run, 0), new(OpKind.Fork, 0, 1), new(OpKind.Run, 1), new(OpKind.Exit, 1), new(OpKind.Run, 0)]],
            ProcessSlots = 2,
        };
        Kernel? k = null;
        WorkloadRunner.Run(spec, new Linux61(), 1, XenVersion.Current, false, 0, (m, _, _) => k = m.K);
        var fork = new long[Tracepoints.Count];
        var exit = new long[Tracepoints.Count];
        for (var t = 0; t < Tracepoints.Count; t++)
        {
            fork[t] = k!.Counts.InPhase(2, (Tracepoint)t);
            exit[t] = k.Counts.InPhase(1, (Tracepoint)t) + k.Counts.InPhase(4, (Tracepoint)t);
        }

        return (fork, exit);
    }

    /// <summary>
    /// Every fork-exit-N of the capture (N &gt; 0) against the model, per phase and tracepoint. A difference no larger
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

        var (mf0, me0) = Model(0, 0);
        var sizes = real.Workloads.Where(w => w.StartsWith("fork-exit-", StringComparison.Ordinal))
            .Select(w => int.Parse(w["fork-exit-".Length..], CultureInfo.InvariantCulture)).Where(n => n > 0).Order().ToList();
        foreach (var n in sizes)
        {
            var name = $"fork-exit-{n}";
            var region = real.Region(name) ?? throw new InvalidDataException($"{real.Path}: {name} has no region");
            var (mf, me) = Model(region.Start, region.Pages);
            foreach (var (phase, model, model0) in new[] { ("fork", mf, mf0), ("exit", me, me0) })
            {
                long Real(Tracepoint t) => real.Get(name, phase, Tracepoints.Key(t)) - real.Get("fork-exit-0", phase, Tracepoints.Key(t));
                long Model(Tracepoint t) => model[(int)t] - model0[(int)t];
                var extraEntries = Real(Tracepoint.McEntryMmuUpdate) - Model(Tracepoint.McEntryMmuUpdate);
                var split = phase == "fork" && extraEntries > 0
                    && Model(Tracepoint.McExtendMmuUpdateOk) - Real(Tracepoint.McExtendMmuUpdateOk) == extraEntries
                    && Real(Tracepoint.SetPte) == Model(Tracepoint.SetPte);
                foreach (var t in Compared)
                {
                    var key = Tracepoints.Key(t);
                    var r = real.Get(name, phase, key) - real.Get("fork-exit-0", phase, key);
                    var m = model[(int)t] - model0[(int)t];
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
