using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Costs;

/// <summary>
/// Xen's overhead with a native baseline: the same lat_proc iteration run on Xen PV and on bare hardware
/// (<see cref="Platform.Native"/>), priced from one table, T(xen-pv) − T(native). Beside the held-out checks'
/// definition (the time of the PV-only events), it also counts what the native run does instead (plain stores, its
/// own CR3 loads and flushes) and what a PV guest does more of natively (TLB refills, its flushes), so the two differ
/// by those. <c>pvmmu calibrate</c> prints both; the checks still use the PV-only one.
/// </summary>
public static class NativeBaseline
{
    /// <summary>SOSP 2003 Table 3: XenoLinux − Linux 2.4.21 per lat_proc iteration, µs (fork 110 → 198, exec 530 → 768, sh 4000 → 4800).</summary>
    public static IReadOnlyList<(string Workload, double Micros)> Sosp { get; } =
        [("lat-proc-fork", 198.0 - 110), ("lat-proc-exec", 768.0 - 530), ("lat-proc-sh", 4800.0 - 4000)];

    /// <summary>T(xen-pv) − T(native) of one iteration of <paramref name="workload"/> under <paramref name="strategy"/>, µs (setup left out).</summary>
    public static double XenMinusNative(CostTable table, string workload, string strategy = Calibration.BeforeStrategy) =>
        Micros(table, workload, strategy, Platform.XenPv) - Micros(table, workload, strategy, Platform.Native);

    /// <summary>Each lat_proc workload's overhead by both definitions, in SOSP's order.</summary>
    public static IReadOnlyList<XenOverheadRow> Rows(CostTable table) =>
        [.. Sosp.Select(s => new XenOverheadRow(s.Workload, HeldOutChecks.Overhead(table, s.Workload), XenMinusNative(table, s.Workload), s.Micros))];

    private static double Micros(CostTable table, string workload, string strategy, Platform platform)
    {
        var r = WorkloadRunner.Run(WorkloadCatalog.Build(workload, 1, 0, Calibration.Seed), ExitStrategies.Find(strategy)!, Calibration.Seed, XenVersion.Current, platform: platform);
        return new ModeledTime(r.Events, table).Micros(Calibration.FirstPhase, r.Phases.Count - 1);
    }
}
