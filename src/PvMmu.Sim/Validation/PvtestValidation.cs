using System.Globalization;
using System.Text;
using PvMmu.Events;
using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen;

namespace PvMmu.Sim.Validation;

/// <summary>
/// The model against a real capture of pvtest's workloads (validation/real-xen: fork-exit-N maps N anonymous pages,
/// touches them, forks, the child exits, the parent waits and unmaps; fork-cow-N, fork-vmas-KxN and exec-N vary it).
/// The real process's other mappings (its binary, heap, stack, vvar/vdso) add the same counts whatever N is, so each
/// count is compared as its difference from its kind's baseline (<see cref="PvtestWorkload.Baseline"/>), which
/// isolates the mapped region; the model maps the region where the real kernel put it (2 MiB aligned, just below the
/// vvar/vdso PTE page), beside a small stand-in for the rest with a page in that PTE page, so page-table pages are
/// shared as they really are. The model runs an exit strategy (Linux61 unless told; a capture of a patched kernel is
/// held to the strategy that models its patch) on current Xen rules, one vCPU. A capture with Xen's own trace
/// (XENTRACE=1) also has its ptwr emulations per phase compared with the model's (EventKind.PtwrEmulation): the
/// trapped native stores no guest tracepoint sees.
/// </summary>
public static class PvtestValidation
{
    /// <summary>The tracepoints compared; the others (stack_switch entries, page faults) are not modeled.</summary>
    public static IReadOnlyList<EventKind> Compared { get; } =
    [
        EventKind.SetPte, EventKind.SetPmd, EventKind.SetPud, EventKind.SetP4d, EventKind.PgdPin, EventKind.PgdUnpin,
        EventKind.AllocPtpage, EventKind.ReleasePtpage, EventKind.WriteCr3, EventKind.McEntryMmuUpdate,
        EventKind.McEntryUpdateVaMapping, EventKind.McEntryMmuextOp, EventKind.McExtendMmuUpdateOk,
        EventKind.McExtendMmuUpdateNoSpace, EventKind.McFlushReasonArgs, EventKind.McFlushReasonBatch, EventKind.McCallback,
        EventKind.FlushTlbOneUser, EventKind.FlushTlbMulti, EventKind.McExtendMmuextOpOk, EventKind.McExtendMmuextOpBadOp,
        EventKind.McExtendMmuextOpNoSpace,
    ];

    private const ulong VvarPteBase = 0x7FFF_F7E0_0000UL;

    /// <summary>The program exec-N's child execs (pvnop: no libc, exits at once); its own counts cancel in the difference.</summary>
    private static readonly ProcessImage Pvnop = ProcessImage.StackOnly(1);

    /// <summary>
    /// The model's counts per phase (<see cref="PvtestWorkload.Phases"/>) and tracepoint for a pvtest workload, step by
    /// step as pvtest does it: the running process maps the VMAs (mmap_region: a VMA each, no page-table work), writes
    /// each page (a demand fault each, on its pinned mm), forks; the child is switched to and exits (exit_mm, its
    /// exit_mmap); the parent is switched back to (finish_task_switch drops the child's lazy reference: pgd_free); then
    /// each VMA is unmapped on its own. fork-cow-N's child writes every page first (a copy-on-write break each) in a
    /// phase of its own. exec-N's child execs instead (exec_mmap: the new mm activated, the old one, with the N pages,
    /// torn down by its mmput), and the new program exits at once.
    /// </summary>
    public static long[][] Model(PvtestWorkload w, ulong regionStart, IExitStrategy? exitStrategy = null)
    {
        var phases = w.Phases;
        var strategy = exitStrategy ?? new Linux61();
        var span = Math.Max(0, w.SpanPages);
        var events = new EventSink(1, ["setup", .. phases]);
        var k = Kernel.Boot(new KernelConfig { Vcpus = 1, Frames = (2 * span) + (span / 256) + 1024, Xen = XenVersion.Current }, events);
        const int cpu = 0;
        var parent = MmOps.CreateMm(k, cpu);
        MmOps.MapAnonymous(k, parent, 0x4A_7000UL, 3);
        MmOps.MapAnonymous(k, parent, VvarPteBase + 0x1F_9000UL, 1);
        MmOps.MapAnonymous(k, parent, ProcessImage.StackTop - (4UL << 12), 4);
        MmOps.TouchAll(k, cpu, parent);
        Pinning.PgdPin(k, cpu, k.Mms.Pgd[parent]);
        ContextSwitch(k, cpu, parent);

        // VMA i holds pages [i·(N+1), i·(N+1)+N) of the span: pvtest unmaps the page after each but the last.
        ulong VmaStart(int i) => regionStart + ((ulong)i * (ulong)(w.Pages + 1) << 12);
        var phase = 1;
        events.Phase = phase;
        for (var i = 0; i < w.Vmas && w.Pages > 0; i++)
        {
            MmOps.MapAnonymous(k, parent, VmaStart(i), w.Pages);
        }

        events.Phase = ++phase;
        for (var i = 0; i < w.Vmas && w.Pages > 0; i++)
        {
            for (var p = 0; p < w.Pages; p++)
            {
                MmOps.FaultIn(k, cpu, parent, VmaStart(i) + ((ulong)p << 12));
            }
        }

        events.Phase = ++phase;
        var child = ForkExec.Fork(k, cpu, parent, strategy);
        k.Mms.Users[child] = 1;

        events.Phase = ++phase;
        ContextSwitch(k, cpu, child);
        if (w.Kind == PvtestKind.Exec)
        {
            // execve: the child's mm (a copy of the parent's) goes in exec_mmap; the new program exits at once.
            var image = ForkExec.Exec(k, cpu, child, Pvnop, strategy);
            ExitPath.ExitMm(k, cpu, image, strategy);
            ContextSwitch(k, cpu, parent);
            ExitPath.MmDrop(k, cpu, image, strategy);
            return Counts(k, phases.Count);
        }

        if (w.Kind == PvtestKind.ForkCow)
        {
            for (var p = 0; p < w.Pages; p++)
            {
                MmOps.WriteFault(k, cpu, child, regionStart + ((ulong)p << 12));
            }

            events.Phase = ++phase;
        }

        ExitPath.ExitMm(k, cpu, child, strategy);
        ContextSwitch(k, cpu, parent);
        ExitPath.MmDrop(k, cpu, child, strategy);

        events.Phase = ++phase;
        for (var i = 0; i < w.Vmas && w.Pages > 0; i++)
        {
            Munmap.Unmap(k, cpu, parent, VmaStart(i), w.Pages);
        }

        return Counts(k, phases.Count);
    }

    private static long[][] Counts(Kernel k, int phaseCount)
    {
        var counts = new long[phaseCount][];
        for (var p = 0; p < phaseCount; p++)
        {
            counts[p] = new long[EventKinds.Count];
            foreach (var t in EventKinds.Tracepoints)
            {
                counts[p][(int)t] = k.Events.InPhase(p + 1, t);
            }

            counts[p][(int)EventKind.PtwrEmulation] = k.Events.InPhase(p + 1, EventKind.PtwrEmulation);

            // The xen_mc_flush calls that issued something (the others are the capture's xen_mc_flush_empty).
            counts[p][(int)EventKind.McFlushIssued] = k.Events.InPhase(p + 1, EventKind.McFlushIssued);
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
    /// Every pvtest workload of the capture the model replays (<see cref="PvtestWorkload.Parse"/>) against the model,
    /// per phase and tracepoint, each as its difference from its baseline (fork-exit-0, fork-cow-1 or exec-0; a
    /// workload whose baseline was not captured is skipped). A difference no larger
    /// than the real system's own run-to-run noise for that phase and tracepoint (the largest difference between the
    /// capture and <paramref name="repeat"/>, a second boot, over every workload: a COW fault of the parent that lands
    /// in fork or in exit, a preemption point that splits a batch) is reported as noise, not as a finding. The band is
    /// measured between <paramref name="noiseBase"/> (default: <paramref name="real"/> itself) and the second boot,
    /// so a fresh capture is held to the band of the committed pair.
    /// </summary>
    public static List<ValidationRow> Compare(RealCapture real, RealCapture? repeat = null, RealCapture? noiseBase = null, IExitStrategy? strategy = null)
    {
        var rows = new List<ValidationRow>();
        if (!real.Has("fork-exit-0"))
        {
            throw new InvalidDataException($"{real.Path}: the capture has no fork-exit-0 to take differences from");
        }

        var workloads = real.Workloads.Select(PvtestWorkload.Parse).OfType<PvtestWorkload>()
            .Where(w => !w.IsBaseline && real.Has(w.Baseline.Name))
            .OrderBy(w => w.Kind).ThenBy(w => w.Vmas).ThenBy(w => w.Pages).ToList();
        var baselines = new Dictionary<PvtestWorkload, long[][]>();
        foreach (var w in workloads)
        {
            var name = w.Name;
            var baseName = w.Baseline.Name;
            if (!baselines.TryGetValue(w.Baseline, out var model0))
            {
                model0 = real.Region(baseName) is { } br ? Model(w.Baseline, br.Start, strategy) : Model(w.Baseline, 0, strategy);
                baselines[w.Baseline] = model0;
            }

            var region = real.Region(name) ?? throw new InvalidDataException($"{real.Path}: {name} has no region");
            if (region.Pages != w.SpanPages)
            {
                throw new InvalidDataException($"{real.Path}: {name}'s region has {region.Pages} pages; expected {w.SpanPages}");
            }

            var modelN = Model(w, region.Start, strategy);
            var phases = w.Phases;
            var realD = new long[phases.Count][];
            var modelD = new long[phases.Count][];
            for (var ph = 0; ph < phases.Count; ph++)
            {
                var zero = model0[w.Baseline.PhaseIndex(phases[ph])];
                realD[ph] = new long[EventKinds.Count];
                modelD[ph] = new long[EventKinds.Count];
                foreach (var t in EventKinds.Tracepoints)
                {
                    var key = EventKinds.TracepointKey(t);
                    realD[ph][(int)t] = real.Get(name, phases[ph], key) - real.Get(baseName, phases[ph], key);
                    modelD[ph][(int)t] = modelN[ph][(int)t] - zero[(int)t];
                }
            }

            var (cowFrom, cowTo) = CowFaultMoved(realD, modelD);
            for (var ph = 0; ph < phases.Count; ph++)
            {
                var phase = phases[ph];
                var split = phase == "fork" && SplitByPreemption(realD[ph], modelD[ph]);
                foreach (var t in Compared)
                {
                    var key = EventKinds.TracepointKey(t);
                    var r = realD[ph][(int)t];
                    var m = modelD[ph][(int)t];
                    var verdict = r == m ? ValidationVerdicts.Equal
                        : split && t is EventKind.McEntryMmuUpdate or EventKind.McExtendMmuUpdateOk or EventKind.McExtendMmuUpdateNoSpace or EventKind.McFlushReasonArgs
                            ? ValidationVerdicts.PreemptionSplit
                        : (ph == cowFrom || ph == cowTo) && IsCowKey(t) ? ValidationVerdicts.CowFaultMoved
                        : Math.Abs(r - m) <= Noise(noiseBase ?? real, repeat, phase, key) ? ValidationVerdicts.Noise
                        : ValidationVerdicts.Differs;
                    if (r != 0 || m != 0)
                    {
                        rows.Add(new ValidationRow(name, phase, key, r, m, verdict));
                    }
                }

                if (real.HasXenTrace)
                {
                    // Xen's own trace: no second boot of it measures noise, so a difference is a difference.
                    var r = real.GetXen(name, phase, PtwrKey) - real.GetXen(baseName, phase, PtwrKey);
                    var m = modelN[ph][(int)EventKind.PtwrEmulation] - model0[w.Baseline.PhaseIndex(phase)][(int)EventKind.PtwrEmulation];
                    if (r != 0 || m != 0)
                    {
                        rows.Add(new ValidationRow(name, phase, PtwrKey, r, m, r == m ? ValidationVerdicts.Equal : ValidationVerdicts.Differs));
                    }
                }
            }
        }

        return rows;
    }

    /// <summary>The key of xtcount's ptwr emulation count in a capture's <c>xen_phases</c> (Xen's TRC_PV_PTWR_EMULATION).</summary>
    public const string PtwrKey = "ptwr_emulation";

    private static bool IsCowKey(EventKind t) => t is EventKind.SetPte or EventKind.FlushTlbOneUser or EventKind.McEntryMmuextOp;

    /// <summary>
    /// Fork's PTE copies cut into batches at other places than the model's: copy_pte_range breaks its loop when
    /// need_resched() (or a contended lock) says so, every 32 PTEs, and the model has no clock. The signature: the same
    /// PTEs go into mmu_update batches (extensions OK + NO_SPACE + BAD_OP equal), and each break turns one extension
    /// (OK or NO_SPACE) into a fresh entry (one more BAD_OP: the batch was empty).
    /// </summary>
    private static bool SplitByPreemption(long[] real, long[] model)
    {
        long R(EventKind t) => real[(int)t];
        long M(EventKind t) => model[(int)t];
        var breaks = R(EventKind.McExtendMmuUpdateBadOp) - M(EventKind.McExtendMmuUpdateBadOp);
        var lostOk = M(EventKind.McExtendMmuUpdateOk) - R(EventKind.McExtendMmuUpdateOk);
        var lostNoSpace = M(EventKind.McExtendMmuUpdateNoSpace) - R(EventKind.McExtendMmuUpdateNoSpace);
        return breaks > 0 && lostOk >= 0 && lostNoSpace >= 0 && lostOk + lostNoSpace == breaks;
    }

    /// <summary>
    /// One copy-on-write fault of pvtest's own pages (its stack or data, not the region) that copies in one phase
    /// where the baseline's copies in another: the real counts have one set_pte, one INVLPG and one mmuext entry more
    /// than the model in one phase and one fewer in another, and nothing else moves with them. 6.1's do_wp_page
    /// copies or reuses a page by its reference count, which the per-CPU LRU cache raises for a while; the model
    /// does not model pvtest's own pages, whose counts cancel in the difference. Returns the two phases, or (-1, -1).
    /// </summary>
    private static (int From, int To) CowFaultMoved(long[][] real, long[][] model)
    {
        int plus = -1, minus = -1;
        for (var ph = 0; ph < real.Length; ph++)
        {
            var d = real[ph][(int)EventKind.SetPte] - model[ph][(int)EventKind.SetPte];
            if (d != real[ph][(int)EventKind.FlushTlbOneUser] - model[ph][(int)EventKind.FlushTlbOneUser]
                || d != real[ph][(int)EventKind.McEntryMmuextOp] - model[ph][(int)EventKind.McEntryMmuextOp])
            {
                continue;
            }

            if (d == 1 && plus < 0)
            {
                plus = ph;
            }
            else if (d == -1 && minus < 0)
            {
                minus = ph;
            }
        }

        return plus >= 0 && minus >= 0 ? (plus, minus) : (-1, -1);
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

    public static string Table(RealCapture real, IReadOnlyList<ValidationRow> rows, string strategy = "Linux61")
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"real: Linux {real.Linux} PV dom0 on Xen {real.Xen} ({real.Path}); model: {strategy}, current Xen rules, 1 vCPU\n");
        sb.Append("each count is its difference from its baseline (fork-exit-0; fork-cow-1; exec-0): the mapped region alone\n\n");
        sb.Append(inv, $"{"workload",-18}{"phase",-7}{"tracepoint",-32}{"real",9}{"model",9}{"diff",7}  verdict\n");
        foreach (var r in rows)
        {
            sb.Append(inv, $"{r.Workload,-18}{r.Phase,-7}{r.Key,-32}{r.Real,9}{r.Model,9}{r.Model - r.Real,7:+0;-0;0}  {r.Verdict}\n");
        }

        var differs = rows.Count(r => r.Differs);
        var noise = rows.Count(r => r.Verdict == ValidationVerdicts.Noise);
        var split = rows.Count(r => r.Verdict == ValidationVerdicts.PreemptionSplit);
        var cow = rows.Count(r => r.Verdict == ValidationVerdicts.CowFaultMoved);
        sb.Append(inv, $"\n{rows.Count} counts compared: {rows.Count - differs - noise - split - cow} equal, {noise} within the real system's run-to-run noise, {split} a batch split by a preemption point (no clock in the model), {cow} one copy-on-write fault of pvtest's own pages in another phase, {differs} differ\n");
        return sb.ToString();
    }
}
