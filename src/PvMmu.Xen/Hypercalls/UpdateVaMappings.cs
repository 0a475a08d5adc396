using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Access;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// HYPERVISOR_update_va_mapping: __do_update_va_mapping (xen/arch/x86/mm.c). The L1 that maps the address is found
/// through Xen's linear page table of the current base pointer (map_guest_l1e); it must be a validated L1 of the
/// caller. The flush, if asked for, follows only a successful update (XSA-279).
/// </summary>
internal static class UpdateVaMappings
{
    public static long Hypercall(Hypervisor h, ulong va, ulong val, ulong flags, ulong vcpuMask, ushort foreignDom)
    {
        h.Events.Add(EventKind.UpdateVaMapping);
        return Continuations.Counted(h, Update(h, va, val, flags, vcpuMask, foreignDom));
    }

    /// <summary>The call without its hypercall entry, as a multicall entry runs it.</summary>
    public static long Update(Hypervisor h, ulong va, ulong val, ulong flags, ulong vcpuMask, ushort foreignDom)
    {
        var pgOwner = ForeignDomains.GetPgOwner(foreignDom);
        if (pgOwner < 0)
        {
            return -Errno.ESRCH;
        }

        if (!ForeignDomains.XsmTargetAllowed(pgOwner))
        {
            return -Errno.EPERM;
        }

        long rc = -Errno.EINVAL;
        var l1 = GuestMemory.MapGuestL1e(h, va);
        if (l1 != 0 && PageRefs.GetPageFromMfn(h, l1, DomainTable.Guest))
        {
            if (PageTypes.CanLock(h, l1) && h.Frames.Type[l1] == PageType.L1)
            {
                rc = MmuUpdates.ModL1Entry(h, l1, (int)((va >> 12) & 511), val, false, (ushort)pgOwner);
            }

            PageRefs.PutPage(h, l1);
        }

        if (rc != 0)
        {
            if (h.Rules.NoFlushOnFailedUpdate)
            {
                return rc;
            }

            // Before XSA-279 the flush ran even after a failed update, with a guest-controlled address.
            if ((flags & UvmFlags.FlushTypeMask) == UvmFlags.Invlpg && !GuestHandles.IsCanonical(va))
            {
                h.HypervisorFault($"INVLPG of non-canonical address {va:x} after a failed update_va_mapping (XSA-279)");
            }
        }

        var scope = flags & ~UvmFlags.FlushTypeMask;
        switch (flags & UvmFlags.FlushTypeMask)
        {
            case UvmFlags.TlbFlush:
                if (scope == UvmFlags.Local)
                {
                    TlbFlush.FlushMask(h, 1UL << h.CurrentVcpu, FlushKind.All);
                }
                else
                {
                    var mask = Scope(h, scope, vcpuMask, ref rc);
                    TlbFlush.FlushMask(h, mask, FlushKind.All);
                }

                break;
            case UvmFlags.Invlpg:
                if (scope == UvmFlags.Local)
                {
                    MmuExtOps.Invlpg(h, va);
                }
                else
                {
                    var mask = Scope(h, scope, vcpuMask, ref rc);
                    if (GuestHandles.IsCanonical(va))
                    {
                        TlbFlush.FlushMask(h, mask, FlushKind.One, va);
                    }
                }

                break;
            default:
                break;
        }

        return rc;
    }

    private static ulong Scope(Hypervisor h, ulong scope, ulong vcpuMask, ref long rc)
    {
        if (scope == UvmFlags.All)
        {
            return h.Domains.DirtyCpuMask[DomainTable.Guest];
        }

        if (!MmuExtOps.VcpuMaskToPcpuMask(h, scope, vcpuMask, out var mask))
        {
            // The PTE is already updated; nothing is flushed and the call reports the fault.
            rc = -Errno.EFAULT;
            return 0;
        }

        if (!h.Rules.NoFlushOnFailedUpdate)
        {
            // Before XSA-279 the conversion's result replaced rc, hiding a failed update.
            rc = 0;
        }

        return mask;
    }
}
