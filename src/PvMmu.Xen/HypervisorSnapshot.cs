using PvMmu.Events;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen;

/// <summary>A saved copy of a <see cref="Hypervisor"/>'s whole state, for <see cref="Hypervisor.Restore"/>.</summary>
public sealed class HypervisorSnapshot
{
    internal HypervisorSnapshot(FrameTable frames, PageTablePool tables, VcpuTable vcpus, Tlb tlb, DomainTable domains, uint clock, EventSink? events, ulong[] m2p)
    {
        Frames = frames;
        Tables = tables;
        Vcpus = vcpus;
        Tlb = tlb;
        Domains = domains;
        Clock = clock;
        Events = events;
        M2p = m2p;
    }

    internal FrameTable Frames { get; set; }

    internal PageTablePool Tables { get; set; }

    internal VcpuTable Vcpus { get; set; }

    internal Tlb Tlb { get; set; }

    internal DomainTable Domains { get; set; }

    internal uint Clock { get; set; }

    /// <summary>
    /// The event counts, or null for a snapshot taken without them (a search's: counts are tallies, not state, so a
    /// restore leaves them running on and a snapshot costs the same however many counters the run keeps).
    /// </summary>
    internal EventSink? Events { get; set; }

    internal ulong[] M2p { get; set; }

    /// <summary>The hypervisor's <see cref="Hypervisor.Generation"/> when this was taken.</summary>
    internal ulong Generation { get; set; }
}
