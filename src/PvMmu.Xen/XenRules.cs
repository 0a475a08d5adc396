namespace PvMmu.Xen;

/// <summary>
/// The rules that changed between Xen 4.8 and current Xen (spec §0.2), each a switch, so that a scenario can run
/// against the hypervisor its authors had. <see cref="For"/> gives the set of a release.
/// </summary>
public sealed record XenRules
{
    public XenVersion Version { get; init; }

    /// <summary>XSA-240 (4.10): linear page tables limited to one level through linear_pt_count.</summary>
    public bool LinearPtLimits { get; init; }

    /// <summary>XSA-290 (4.12): the put of a replaced L2 entry's L1 is deferred (old_guest_table) like L3/L4.</summary>
    public bool DeferL2Puts { get; init; }

    /// <summary>XSA-286 (4.15): mmu_update flushes every dirty CPU after it changed an L2, L3 or L4 entry.</summary>
    public bool FlushAfterUpperUpdate { get; init; }

    /// <summary>XSA-279 (4.12): update_va_mapping does no flush when its PTE update failed.</summary>
    public bool NoFlushOnFailedUpdate { get; init; }

    /// <summary>XSA-213 (4.9): an iret inside a multicall ends the batch.</summary>
    public bool IretEndsMulticall { get; init; }

    /// <summary>XSA-252 (4.11): decrease_reservation no longer unpins a pinned frame.</summary>
    public bool NoImplicitUnpinOnRelease { get; init; }

    /// <summary>Linear (same-level) page tables are allowed at all (pv-linear-pt, default true).</summary>
    public bool LinearPageTables { get; init; } = true;

    public static XenRules Current { get; } = new()
    {
        Version = XenVersion.Current,
        LinearPtLimits = true,
        DeferL2Puts = true,
        FlushAfterUpperUpdate = true,
        NoFlushOnFailedUpdate = true,
        IretEndsMulticall = true,
        NoImplicitUnpinOnRelease = true,
    };

    public static XenRules Xen48 { get; } = new()
    {
        Version = XenVersion.Xen48,
        LinearPtLimits = false,
        DeferL2Puts = false,
        FlushAfterUpperUpdate = false,
        NoFlushOnFailedUpdate = false,
        IretEndsMulticall = false,
        NoImplicitUnpinOnRelease = false,
    };

    public static XenRules For(XenVersion v) => v == XenVersion.Xen48 ? Xen48 : Current;

    /// <summary>Parses "current", "4.17" (current rules) or "4.8".</summary>
    public static bool TryParse(string text, out XenVersion version)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "current":
            case "4.17":
            case "latest":
                version = XenVersion.Current;
                return true;
            case "4.8":
                version = XenVersion.Xen48;
                return true;
            default:
                version = XenVersion.Current;
                return false;
        }
    }

    public static string Name(XenVersion v) => v == XenVersion.Xen48 ? "4.8" : "current";
}
