using System.Globalization;
using System.Text;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Costs;

/// <summary>
/// Why the SOSP 2003 Table 3 ratio checks of <see cref="HeldOutChecks"/> fail, computed on the model. SOSP 2003 ("Xen
/// and the Art of Virtualization", Table 3, lmbench lat_proc on a 2.4 GHz Xeon, µs): fork 110 → 198, exec 530 → 768,
/// sh 4000 → 4800 (native Linux 2.4.21 → XenoLinux 2.4.21 on Xen 1.0). <see cref="Breakdown"/> splits the model's
/// overhead of each workload by phase and event; set against SOSP's clock-scaled overheads it shows that fork alone is
/// out of scale (docs/calibration.md). <see cref="Xeno2003Bound"/> is not a model of 2003: it reprices the model's own
/// counts with the most favourable reading of how XenoLinux 2.4.21 did the same page-table work (sources: Xen repository
/// commit 723e6644ac, 2003-08-29, xenolinux-2.4.21-sparse and xen/arch/i386), to show how far a faithful 2003 guest
/// could at most move the ratios.
/// </summary>
public static class SospTable3
{
    /// <summary>The three lat_proc workloads, in Table 3's order.</summary>
    public static IReadOnlyList<string> Workloads { get; } = ["lat-proc-fork", "lat-proc-exec", "lat-proc-sh"];

    /// <summary>
    /// SOSP 2003 Table 3's Xen overhead of <paramref name="workload"/> (XenoLinux less native Linux, µs), scaled by
    /// clock to the priors' 3,786 MHz (<see cref="HeldOutChecks.ClockScale"/>).
    /// </summary>
    public static double PublishedOverhead(string workload) => HeldOutChecks.ClockScale * workload switch
    {
        "lat-proc-fork" => 198.0 - 110,
        "lat-proc-exec" => 768.0 - 530,
        "lat-proc-sh" => 4800.0 - 4000,
        _ => throw new ArgumentException($"no SOSP 2003 Table 3 figure for '{workload}'", nameof(workload)),
    };

    /// <summary>
    /// The model's Xen overhead of one lat_proc iteration under the policy before 8a181133e2 (the run
    /// <see cref="HeldOutChecks.Overhead"/> prices), by phase and by event kind.
    /// </summary>
    public static Table3Breakdown Breakdown(CostTable table, string workload)
    {
        var c = Run(workload);
        var t = new ModeledTime(c, table);
        var phases = new Dictionary<string, double>();
        for (var p = Calibration.FirstPhase; p < c.Phases; p++)
        {
            phases[c.PhaseNames[p]] = HeldOutChecks.PvOnly.Sum(e => t.EventMicros(e, p, p));
        }

        var events = HeldOutChecks.PvOnly.ToDictionary(e => e, e => t.EventMicros(e, Calibration.FirstPhase, c.Phases - 1));
        return new Table3Breakdown(workload, phases, events);
    }

    /// <summary>
    /// The least Xen overhead XenoLinux 2.4.21 on Xen 1.0 would have paid for the page-table work the model counts in
    /// <paramref name="workload"/>, every mmu_update request at <paramref name="requestNs"/> (the table's own price when
    /// null), in µs; each rule reads 2003's code in the way that costs least (a ratio of two such figures is not a
    /// bound, and the work is the model's, on its estimated images):
    /// <list type="bullet">
    /// <item>every page-table write is one queued request (queue_l1_entry_update: set_pte, ptep_set_wrprotect and
    /// ptep_get_and_clear in include/asm-xeno/pgtable*.h; Xen 1.0 had no writable page tables), so each counted
    /// request and each trapped write (ptwr) is one request;</item>
    /// <item>fork write-protects only the parent's writable PTEs (copy_page_range's <c>cow &amp;&amp; pte_write</c>,
    /// mm/memory.c), as the model does (its images' text is mapped read-only);</item>
    /// <item>page-table pages come from the pte and pgd quicklists already pinned (pte_alloc_one_fast, get_pgd_fast,
    /// pte_free_fast in include/asm-xeno/pgalloc.h): no remap, validation, devalidation or type-change flush is
    /// charged;</item>
    /// <item>hypercalls: one per page the model faults in (handle_mm_fault's XENO_flush_page_update_queue, and
    /// put_dirty_page's for exec's stack pages), every other batch free and no multicall entry (the 2,048-entry queue
    /// of arch/xeno/mm/hypervisor.c; its pmd_populate, switch and exit flushes are left out, which only lowers the
    /// figure);</item>
    /// <item>each demand fault from user mode is bounced to the guest by Xen (do_page_fault's guest_trap_bounce,
    /// xen/arch/i386/traps.c), priced injected_fault, as the model counts it (<see cref="EventKind.FaultInjected"/>;
    /// the new stack's pages, put in place from the kernel, have none); but an i386 guest kernel runs in ring 1 of
    /// the same page tables and returns with a plain iret, so the x86-64 round trip's two mode switches and its
    /// HYPERVISOR_iret are not charged;</item>
    /// <item>mmuext commands (base-pointer switches, TLB flushes) as the model counts them.</item>
    /// </list>
    /// </summary>
    public static double Xeno2003Bound(CostTable table, string workload, double? requestNs = null)
    {
        var c = Run(workload);
        long Count(EventKind e)
        {
            long n = 0;
            for (var p = Calibration.FirstPhase; p < c.Phases; p++)
            {
                n += c.InPhase(p, e);
            }

            return n;
        }

        var writes = Count(EventKind.MmuUpdateRequest) + Count(EventKind.PtwrEmulation);
        var flushes = Count(EventKind.PageFault);
        var bounces = Count(EventKind.FaultInjected);
        var ns = (writes * (requestNs ?? table[EventKind.MmuUpdateRequest]))
            + (flushes * table[EventKind.Hypercall]) + (bounces * table[EventKind.FaultInjected])
            + (Count(EventKind.MmuExtOp) * table[EventKind.MmuExtOp]);
        return ns / 1000;
    }

    /// <summary>
    /// The mmu_update_request price at which <see cref="Xeno2003Bound"/>'s sh / fork ratio equals
    /// <paramref name="ratio"/> (the bound is linear in that price: solved from two evaluations), in ns.
    /// </summary>
    public static double RequestNsForShOverFork(CostTable table, double ratio)
    {
        double Sh(double r) => Xeno2003Bound(table, "lat-proc-sh", r);
        double Fork(double r) => Xeno2003Bound(table, "lat-proc-fork", r);
        var (shSlope, shZero) = (Sh(1000) - Sh(0), Sh(0));
        var (forkSlope, forkZero) = (Fork(1000) - Fork(0), Fork(0));
        return 1000 * (shZero - (ratio * forkZero)) / ((ratio * forkSlope) - shSlope);
    }

    /// <summary>
    /// What `pvmmu calibrate --sosp` prints: each lat_proc workload's overhead against SOSP's, by phase and by event
    /// kind, then <see cref="Xeno2003Bound"/> and its ratios at the table's mmu_update_request price and at the ends of
    /// its interval, and the price at which sh / fork reaches the check's floor.
    /// </summary>
    public static string Report(CostTable table)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder($"SOSP 2003 Table 3: the Xen overhead of one lat_proc iteration, µs ({Calibration.BeforeStrategy}, 1 vCPU; SOSP's scaled by 2.4/3.786):\n");
        var phases = Breakdown(table, Workloads[0]).PhaseMicros.Keys.ToList();
        sb.Append(inv, $"{"workload",-16}{"model",9}{"SOSP",9}");
        foreach (var p in phases)
        {
            sb.Append(inv, $"{p,9}");
        }

        sb.Append('\n');
        var events = new StringBuilder("by event kind:\n");
        foreach (var w in Workloads)
        {
            var b = Breakdown(table, w);
            sb.Append(inv, $"{w,-16}{b.Total,9:0.0}{PublishedOverhead(w),9:0.0}");
            foreach (var p in phases)
            {
                sb.Append(inv, $"{b.PhaseMicros[p],9:0.0}");
            }

            sb.Append('\n');
            var parts = b.EventMicros.Where(kv => kv.Value >= 0.05).OrderByDescending(kv => kv.Value).Select(kv => string.Create(inv, $"{CostTable.Key(kv.Key)} {kv.Value:0.0}"));
            events.Append(inv, $"  {w}: {string.Join(", ", parts)}\n");
        }

        sb.Append(events);
        sb.Append("the same counts repriced as XenoLinux 2.4.21 on Xen 1.0 would at least pay (queued PTE writes, write-protect of\n");
        sb.Append("writable PTEs only, pinned quicklist tables, one flush per faulted page, a bounce per demand fault), µs:\n");
        sb.Append(inv, $"{"mmu_update_request",-24}{"fork",9}{"exec",9}{"sh",9}{"exec/fork",11}{"sh/fork",9}\n");
        var centre = table[EventKind.MmuUpdateRequest];
        var interval = table.Intervals.FirstOrDefault(i => i.Event == EventKind.MmuUpdateRequest);
        var prices = interval is null
            ? [(centre, "")]
            : new[] { (interval.LowNs, " (low)"), (centre, ""), (interval.HighNs, " (high)") };
        foreach (var (r, label) in prices)
        {
            var fork = Xeno2003Bound(table, "lat-proc-fork", r);
            var exec = Xeno2003Bound(table, "lat-proc-exec", r);
            var sh = Xeno2003Bound(table, "lat-proc-sh", r);
            sb.Append(inv, $"{string.Create(inv, $"{r:0} ns{label}"),-24}{fork,9:0.0}{exec,9:0.0}{sh,9:0.0}{exec / fork,11:0.00}{sh / fork,9:0.00}\n");
        }

        var execOverFork = (768.0 - 530) / (198 - 110);
        var shOverFork = (4800.0 - 4000) / (198 - 110);
        var floor = (1 - HeldOutChecks.RatioTolerance) * shOverFork;
        sb.Append(inv, $"SOSP: exec/fork {execOverFork:0.00}, sh/fork {shOverFork:0.00} (±{HeldOutChecks.RatioTolerance:0%}: {(1 - HeldOutChecks.RatioTolerance) * execOverFork:0.00}–{(1 + HeldOutChecks.RatioTolerance) * execOverFork:0.00}, {floor:0.00}–{(1 + HeldOutChecks.RatioTolerance) * shOverFork:0.00}); ");
        sb.Append(inv, $"the bound's sh/fork reaches {floor:0.00} at mmu_update_request {RequestNsForShOverFork(table, floor):0.0} ns, {shOverFork:0.00} at {RequestNsForShOverFork(table, shOverFork):0.0} ns\n");
        return sb.ToString();
    }

    private static EventSink Run(string workload) =>
        WorkloadRunner.Run(workload, ExitStrategies.Find(Calibration.BeforeStrategy)!, 1, 0, Calibration.Seed, XenVersion.Current).Events;
}
