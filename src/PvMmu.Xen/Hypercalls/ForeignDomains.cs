using PvMmu.Xen.Abi;
using PvMmu.Xen.Domains;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// get_pg_owner (xen/arch/x86/mm.c) and the dummy XSM policy for an unprivileged domU: DOMID_SELF is the caller,
/// the caller's own numeric id is refused, DOMID_IO and DOMID_XEN name Xen's special owners, any other id must
/// exist; and an unprivileged caller may then act only on itself (XSM_TARGET).
/// </summary>
internal static class ForeignDomains
{
    /// <summary>The index of the page owner named by <paramref name="domid"/>, or -1 (→ -ESRCH).</summary>
    public static int GetPgOwner(ushort domid)
    {
        if (domid == DomainIds.Self)
        {
            return DomainTable.Guest;
        }

        if (domid == DomainTable.DomId[DomainTable.Guest])
        {
            // "Cannot specify itself".
            return -1;
        }

        return DomainTable.IndexOf(domid);
    }

    /// <summary>xsm_default_action(XSM_TARGET, caller, target) for an unprivileged caller.</summary>
    public static bool XsmTargetAllowed(int target) => target == DomainTable.Guest;

    /// <summary>
    /// The dummy xsm_mmu_update: the page owner is checked unless it is dom_io, which an unprivileged guest may
    /// therefore name (its L1 mappings of its own RAM then fail in get_page_from_l1e).
    /// </summary>
    public static bool XsmMmuUpdateAllowed(int pgOwner) => pgOwner == DomainTable.Io || XsmTargetAllowed(pgOwner);
}
