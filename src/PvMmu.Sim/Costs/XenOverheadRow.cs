namespace PvMmu.Sim.Costs;

/// <summary>
/// One lat_proc workload's Xen overhead by both definitions, in µs per iteration: the time of the events only a PV
/// guest has (<see cref="HeldOutChecks.PvOnly"/>, what the held-out checks use), and T(xen-pv) − T(native), the
/// native-baseline one; with SOSP 2003 Table 3's published XenoLinux − Linux difference.
/// </summary>
public sealed record XenOverheadRow(string Workload, double PvOnlyMicros, double XenMinusNativeMicros, double PublishedMicros);
