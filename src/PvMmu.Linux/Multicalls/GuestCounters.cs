namespace PvMmu.Linux.Multicalls;

/// <summary>What the guest's multicall layer issued: flushes with at least one entry, split into singletons and multicalls.</summary>
public sealed class GuestCounters
{
    /// <summary>xen_mc_flush calls that issued something.</summary>
    public long Flushes { get; set; }

    /// <summary>Flushes of one entry, issued as a plain hypercall.</summary>
    public long Singletons { get; set; }

    /// <summary>Flushes of two or more entries, issued as HYPERVISOR_multicall.</summary>
    public long Multicalls { get; set; }

    /// <summary>Entries issued, singletons included.</summary>
    public long Entries { get; set; }

    /// <summary>Entries whose result was negative: each a line of xen_mc_flush's WARN.</summary>
    public long FailedEntries { get; set; }

    public void CopyFrom(GuestCounters s)
    {
        Flushes = s.Flushes;
        Singletons = s.Singletons;
        Multicalls = s.Multicalls;
        Entries = s.Entries;
        FailedEntries = s.FailedEntries;
    }
}
