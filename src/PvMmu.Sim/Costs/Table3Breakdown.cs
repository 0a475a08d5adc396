using PvMmu.Events;

namespace PvMmu.Sim.Costs;

/// <summary>
/// One lat_proc workload's modeled Xen overhead (<see cref="HeldOutChecks.Overhead"/>), in µs, split two ways: by phase
/// (every phase but setup) and by event kind (<see cref="HeldOutChecks.PvOnly"/>); both sum to <see cref="Total"/>.
/// </summary>
public sealed record Table3Breakdown(string Workload, IReadOnlyDictionary<string, double> PhaseMicros, IReadOnlyDictionary<EventKind, double> EventMicros)
{
    /// <summary>The whole overhead, µs (the sum over event kinds).</summary>
    public double Total => EventMicros.Values.Sum();
}
