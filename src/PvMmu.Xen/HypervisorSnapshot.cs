using PvMmu.Events;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen;

/// <summary>A saved copy of a <see cref="Hypervisor"/>'s whole state, for <see cref="Hypervisor.Restore"/>.</summary>
public sealed class HypervisorSnapshot
{
    internal HypervisorSnapshot(byte[] state, PageTablePool tables, EventSink? events)
    {
        State = state;
        Tables = tables;
        Events = events;
    }

    /// <summary>Every array of <see cref="Hypervisor.DeclaredState"/>, one after the other, as bytes.</summary>
    internal byte[] State { get; }

    internal PageTablePool Tables { get; set; }

    /// <summary>
    /// The event counts, or null for a snapshot taken without them (a search's: counts are tallies, not state, so a
    /// restore leaves them running on and a snapshot costs the same however many counters the run keeps).
    /// </summary>
    internal EventSink? Events { get; set; }

    /// <summary>The hypervisor's <see cref="Hypervisor.Generation"/> when this was taken.</summary>
    internal ulong Generation { get; set; }

    /// <summary>
    /// The hypervisor's fingerprint at <see cref="Generation"/>, if it had been computed when this was taken
    /// (<see cref="FingerprintGeneration"/> equal to <see cref="Generation"/>): a restore brings it back with the state,
    /// so that a search does not hash again a state it has hashed before.
    /// </summary>
    internal ulong Fingerprint { get; set; }

    internal ulong FingerprintGeneration { get; set; }
}
