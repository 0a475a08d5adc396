namespace PvMmu.Xen;

/// <summary>
/// The rules that changed between Xen 4.8 and current Xen (docs/xen-rules.md#version-switches), each a switch, so that
/// a scenario can run against the hypervisor its authors had. <see cref="For"/> gives the set of a release.
/// </summary>
public sealed record XenRules
{
    public XenVersion Version { get; init; }

    /// <summary>
    /// XSA-240 (4.10): linear page tables limited to one level through linear_pt_count, and the containing table
    /// must belong to the domain too (4.8 checked only the target's owner).
    /// </summary>
    public bool LinearPtLimits { get; init; }

    /// <summary>
    /// XSA-290 (4.12): L2 (de)validation is preemptible. The put of a replaced L2 entry's L1 is deferred
    /// (old_guest_table) like L3/L4; an L1's validation error under an L2 passes through (4.8 flattened every one
    /// to -EINVAL before trying a linear entry); and an L2 that fails past slot 0 goes partial and keeps its type.
    /// </summary>
    public bool PreemptibleL2 { get; init; }

    /// <summary>MMU_PT_UPDATE_NO_TRANSLATE (command 3) exists; 4.8 answers -ENOSYS.</summary>
    public bool NoTranslateCommand { get; init; }

    /// <summary>adjust_guest_l4e adds _PAGE_ACCESSED as well as _PAGE_USER (4.8 added only U).</summary>
    public bool L4AdjustAddsAccessed { get; init; }

    /// <summary>XSA-286 (4.15): mmu_update flushes every dirty CPU after it changed an L2, L3 or L4 entry.</summary>
    public bool FlushAfterUpperUpdate { get; init; }

    /// <summary>
    /// Xen edcfce5591 (April 2021, reverted by cb199cc7de in May 2021 because it reintroduced XSA-286): the flush of
    /// <see cref="FlushAfterUpperUpdate"/> is skipped for a "free floating" table, one whose type references, under
    /// do_mmu_update's page_lock (which takes one itself), are that lock and the pin alone. Only meaningful with
    /// <see cref="FlushAfterUpperUpdate"/>; see <see cref="UpperUpdateNeedsFlush"/>.
    /// </summary>
    public bool SkipFlushForFreeFloating { get; init; }

    /// <summary>
    /// Xen bed7e6cad3 (April 2021, applied after edcfce5591 and reverted with it by cb199cc7de): no flush at all after
    /// an L3 update of a 32-bit PV domain (<c>!is_pv_32bit_domain(pt_owner)</c> added to the L3 case only), on the
    /// ground that a PAE guest must reload CR3 for an L3 change to take effect. Xen's own linear page-table mapping
    /// still goes through that L3, which is what the xsa-286 XTF test on pv32pae caught. See
    /// <see cref="UpperUpdateNeedsFlush"/>.
    /// </summary>
    public bool SkipFlushForPv32L3 { get; init; }

    /// <summary>
    /// XSA-279 (4.12): update_va_mapping does no flush when its PTE update failed. Before it the flush ran anyway,
    /// and with a vCPU bitmap the call returned the bitmap conversion's result, hiding the update's error.
    /// </summary>
    public bool NoFlushOnFailedUpdate { get; init; }

    /// <summary>XSA-213 (4.9): an iret inside a multicall ends the batch.</summary>
    public bool IretEndsMulticall { get; init; }

    /// <summary>XSA-252 (4.11): decrease_reservation no longer unpins a pinned frame.</summary>
    public bool NoImplicitUnpinOnRelease { get; init; }

    /// <summary>
    /// XSA-401 (4.17): _get_page_type's safety flush on a type change runs after the cmpxchg that claimed the new
    /// type. Before it the flush ran inside the loop, before the cmpxchg, so another vCPU could map the frame
    /// writable, write through it and unmap it in between, and the claim still succeeded with that vCPU's writable
    /// TLB entry live. Only a split <see cref="Hypervisor.ReadTypeInfo"/> can tell the orders apart.
    /// </summary>
    public bool TypeChangeFlushAfterClaim { get; init; }

    /// <summary>Linear (same-level) page tables are allowed at all (pv-linear-pt, default true).</summary>
    public bool LinearPageTables { get; init; } = true;

    public static XenRules Current { get; } = new()
    {
        Version = XenVersion.Current,
        LinearPtLimits = true,
        PreemptibleL2 = true,
        NoTranslateCommand = true,
        L4AdjustAddsAccessed = true,
        FlushAfterUpperUpdate = true,
        NoFlushOnFailedUpdate = true,
        IretEndsMulticall = true,
        NoImplicitUnpinOnRelease = true,
        TypeChangeFlushAfterClaim = true,
    };

    /// <summary>
    /// Current rules with both flush relaxations upstream had from 9 April to 13 May 2021 (Xen edcfce5591 and
    /// bed7e6cad3, reverted together by cb199cc7de): the xsa-286 scenarios' <c>--xen relaxed-flush</c>.
    /// </summary>
    public static XenRules RelaxedFlush { get; } = Current with { SkipFlushForFreeFloating = true, SkipFlushForPv32L3 = true };

    /// <summary>
    /// do_mmu_update's decision after a successful mod_l2/l3/l4_entry (<paramref name="level"/>) to flush the dirty
    /// CPUs (flush_linear_pt). Since XSA-286 every such change flushes. edcfce5591 asked instead, with the table
    /// page_lock'ed (the lock counts one type reference), whether type count &gt; 1 + pinned;
    /// <paramref name="typeCount"/> is the count without the lock, which the model does not take, so that test reads
    /// typeCount + 1 &gt; 1 + pinned. bed7e6cad3 added, for an L3 only, that the page-table owner is not a 32-bit PV
    /// domain (<paramref name="pv32Owner"/>).
    /// </summary>
    public bool UpperUpdateNeedsFlush(int level, uint typeCount, bool pinned, bool pv32Owner)
    {
        if (!FlushAfterUpperUpdate)
        {
            return false;
        }

        if (SkipFlushForPv32L3 && level == 3 && pv32Owner)
        {
            return false;
        }

        if (!SkipFlushForFreeFloating)
        {
            return true;
        }

        var lockedCount = typeCount + 1;
        return lockedCount > 1u + (pinned ? 1u : 0u);
    }

    /// <summary>Current rules with _get_page_type's flush before the cmpxchg, as it was until XSA-401 (xsa-401 scenario).</summary>
    public static XenRules PreXsa401 { get; } = Current with { TypeChangeFlushAfterClaim = false };

    public static XenRules Xen48 { get; } = new()
    {
        Version = XenVersion.Xen48,
        LinearPtLimits = false,
        PreemptibleL2 = false,
        NoTranslateCommand = false,
        L4AdjustAddsAccessed = false,
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
