using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// HYPERVISOR_mmu_update: do_mmu_update, mod_l1_entry and mod_l2/l3/l4_entry (xen/arch/x86/mm.c). Requests run in
/// order and the call stops at the first failure; a deferred put (old_guest_table) forces a continuation, which
/// the model counts and performs at once (docs/xen-rules.md#deferred-puts-and-continuations).
/// </summary>
internal static class MmuUpdates
{
    public static long Hypercall(Hypervisor h, ReadOnlySpan<MmuUpdateRequest> requests, out uint done, uint foreignDom, ulong listHandle, int copyable)
        => Continuations.Counted(h, Run(h, requests, out done, foreignDom, listHandle, copyable));

    /// <summary>The hypercall's body without its entry, as a multicall entry runs it.</summary>
    public static long Run(Hypervisor h, ReadOnlySpan<MmuUpdateRequest> requests, out uint done, uint foreignDom, ulong listHandle, int copyable = int.MaxValue)
    {
        done = 0;
        var v = h.CurrentVcpu;
        PageTableEntries.PutOldGuestTable(h, v);
        if (requests.Length > 0 && !GuestHandles.CanCopy(listHandle, (ulong)requests.Length * 16))
        {
            return -Errno.EFAULT;
        }

        // foreigndom: bits 16–31 are the page-table owner + 1, bits 0–15 the page owner.
        var ptOwner = (int)DomainTable.Guest;
        var ptDom = foreignDom >> 16;
        if (ptDom != 0)
        {
            var idx = DomainTable.IndexOf((ushort)(ptDom - 1));
            if (idx < 0 || idx == DomainTable.Xen || idx == DomainTable.Io)
            {
                return -Errno.ESRCH;
            }

            if (idx != DomainTable.Guest)
            {
                // A domain with no vCPU 0 (the model's other guest has none).
                return -Errno.EINVAL;
            }
        }

        var pgOwner = ForeignDomains.GetPgOwner((ushort)foreignDom);
        if (pgOwner < 0)
        {
            return -Errno.ESRCH;
        }

        long rc = 0;
        var i = 0;
        var flushLinear = false;
        while (true)
        {
            for (; i < requests.Length; i++)
            {
                if (h.Vcpus.OldGuestTable[v] != 0)
                {
                    rc = -Errno.ERestart;
                    break;
                }

                // __copy_from_guest of this one element: the up-front check was only of the address range, so
                // a page Xen cannot read stops the call here, the elements before it done and in effect.
                if (i >= copyable)
                {
                    rc = -Errno.EFAULT;
                    break;
                }

                h.Events.Add(EventKind.MmuUpdateRequest);
                rc = One(h, requests[i], ptOwner, pgOwner, ref flushLinear);
                if (rc != 0)
                {
                    break;
                }
            }

            // The end of one hypercall invocation: XSA-286's flush of every dirty CPU if an L2+ entry changed.
            if (flushLinear && h.Domains.DirtyCpuMask[ptOwner] != 0)
            {
                h.Events.Add(EventKind.XenInitiatedFlush);
                TlbFlush.FlushMask(h, h.Domains.DirtyCpuMask[ptOwner], FlushKind.All);
            }

            flushLinear = false;
            if (!Continuations.NextLeg(h, v, ref rc))
            {
                break;
            }
        }

        done = (uint)i;
        return rc;
    }

    private static int One(Hypervisor h, MmuUpdateRequest req, int ptOwner, int pgOwner, ref bool flushLinear)
    {
        var cmd = (MmuUpdateCommand)(req.Ptr & 7);
        switch (cmd)
        {
            case MmuUpdateCommand.PtUpdateNoTranslate when !h.Rules.NoTranslateCommand:
                return -Errno.ENOSYS;
            case MmuUpdateCommand.NormalPtUpdate:
            case MmuUpdateCommand.PtUpdatePreserveAd:
            case MmuUpdateCommand.PtUpdateNoTranslate:
                return PtUpdate(h, req, cmd == MmuUpdateCommand.PtUpdatePreserveAd, ptOwner, pgOwner, ref flushLinear);
            case MmuUpdateCommand.MachphysUpdate:
                return MachphysUpdate(h, req, ptOwner, pgOwner);
            default:
                return -Errno.ENOSYS;
        }
    }

    private static int PtUpdate(Hypervisor h, MmuUpdateRequest req, bool preserveAd, int ptOwner, int pgOwner, ref bool flushLinear)
    {
        if (!ForeignDomains.XsmMmuUpdateAllowed(pgOwner))
        {
            return -Errno.EPERM;
        }

        var mfn = FrameTable.Narrow(req.Ptr >> 12);
        var slot = (int)((req.Ptr & 0xFFF) >> 3);

        // get_page_from_gfn(pt_owner): for a PV guest the frame itself, which must be RAM it owns.
        if (!h.Frames.IsValid(mfn) || !PageRefs.GetPage(h, mfn, (ushort)ptOwner))
        {
            return -Errno.EINVAL;
        }

        int rc;
        if (PageTypes.CanLock(h, mfn))
        {
            switch (h.Frames.Type[mfn])
            {
                case PageType.L1:
                    rc = ModL1Entry(h, mfn, slot, req.Val, preserveAd, (ushort)pgOwner);
                    break;
                case PageType.L2:
                case PageType.L3:
                case PageType.L4:
                    if (pgOwner != ptOwner)
                    {
                        rc = -Errno.EINVAL;
                        break;
                    }

                    rc = ModUpperEntry(h, mfn, slot, req.Val, (int)h.Frames.Type[mfn], preserveAd);
                    if (rc == 0 && h.Rules.UpperUpdateNeedsFlush((int)h.Frames.Type[mfn], h.Frames.TypeCount[mfn], h.Frames.Has(mfn, FrameFlags.Pinned), h.IsPv32BitDomain(ptOwner)))
                    {
                        flushLinear = true;
                    }

                    break;
                case PageType.Writable:
                    // A data page that happens to have a writable mapping: a plain, unchecked write.
                    h.WriteContents(mfn, slot, req.Val);
                    rc = 0;
                    break;
                default:
                    rc = -Errno.EINVAL;
                    break;
            }
        }
        else if (PageTypes.TryGet(h, mfn, PageType.Writable))
        {
            // Not a validated table: the write retypes the frame to writable and is unchecked.
            h.WriteContents(mfn, slot, req.Val);
            PageTypes.Put(h, mfn);
            rc = 0;
        }
        else
        {
            rc = -Errno.EINVAL;
        }

        PageRefs.PutPage(h, mfn);
        return rc;
    }

    private static int MachphysUpdate(Hypervisor h, MmuUpdateRequest req, int ptOwner, int pgOwner)
    {
        if (ptOwner != DomainTable.Guest)
        {
            return -Errno.EPERM;
        }

        if (!ForeignDomains.XsmMmuUpdateAllowed(pgOwner))
        {
            return -Errno.EPERM;
        }

        var mfn = FrameTable.Narrow(req.Ptr >> 12);
        if (!PageRefs.GetPageFromMfn(h, mfn, (ushort)pgOwner))
        {
            return -Errno.EINVAL;
        }

        h.M2p[mfn] = req.Val;
        PageRefs.PutPage(h, mfn);
        return 0;
    }

    /// <summary>
    /// mod_l1_entry: validate the new entry (get_page_from_l1e) unless only whitelisted bits change, write it,
    /// then release the old one. Xen flushes nothing for an L1 change: that is the guest's job.
    /// </summary>
    public static int ModL1Entry(Hypervisor h, uint table, int slot, ulong nl1e, bool preserveAd, ushort pgOwner)
    {
        var ol1e = h.ReadContents(table, slot);
        if ((nl1e & PageFlags.Present) != 0)
        {
            if ((nl1e & PageTableEntries.L1DisallowMask(h)) != 0)
            {
                return -Errno.EINVAL;
            }

            if (!HasChanged(ol1e, nl1e, ~PageFlags.FastPathWhitelist))
            {
                Write(h, table, slot, ol1e, Validation.AdjustL1(nl1e), preserveAd);
                return 0;
            }

            var rc = PageTableEntries.GetPageFromL1e(h, nl1e, pgOwner);
            if (rc != 0)
            {
                return rc;
            }

            Write(h, table, slot, ol1e, Validation.AdjustL1(nl1e), preserveAd);
        }
        else
        {
            Write(h, table, slot, ol1e, nl1e, preserveAd);
        }

        PageTableEntries.PutPageFromL1e(h, ol1e);
        return 0;
    }

    /// <summary>
    /// mod_l2_entry / mod_l3_entry / mod_l4_entry of a table of the guest that owns it (see the overload).
    /// </summary>
    public static int ModUpperEntry(Hypervisor h, uint table, int slot, ulong nle, int level, bool preserveAd)
        => ModUpperEntry(h, table, slot, nle, level, preserveAd, h.Frames.Owner[table]);

    /// <summary>
    /// mod_l2_entry / mod_l3_entry / mod_l4_entry for domain <paramref name="domain"/> (Xen's vcpu->domain; the
    /// table's owner except for a compat L4, which is Xen's): Xen's L4 slots are refused (for a 32-bit domain every
    /// slot but 0, is_guest_l4_slot), and for a 32-bit domain L3 slots 3 and up (they hold Xen's mappings) and the
    /// compat L3 flags (l3_disallow_mask); a new present entry is validated (recursively, for a child whose type
    /// count was 0) unless only whitelisted bits change; the old entry's put is deferred to old_guest_table (L3 and
    /// L4 always, L2 since XSA-290).
    /// </summary>
    public static int ModUpperEntry(Hypervisor h, uint table, int slot, ulong nle, int level, bool preserveAd, ushort domain)
    {
        var pv32 = h.IsPv32BitDomain(domain);
        if (level == 4 && (pv32 ? slot != 0 : !PageTableEntries.IsGuestL4Slot(slot)))
        {
            return -Errno.EINVAL;
        }

        if (level == 3 && pv32 && slot >= 3)
        {
            return -Errno.EINVAL;
        }

        var ole = h.ReadContents(table, slot);
        var owner = domain;
        if ((nle & PageFlags.Present) != 0)
        {
            if ((nle & PageTableEntries.UpperDisallowMaskFor(h, level, domain)) != 0)
            {
                return -Errno.EINVAL;
            }

            if (!HasChanged(ole, nle, ~PageFlags.FastPathWhitelist))
            {
                Write(h, table, slot, ole, Validation.AdjustUpper(h, nle, level, domain), preserveAd);
                return 0;
            }

            var rc = PageTableEntries.GetPageFromUpper(h, nle, table, level, owner);
            if (rc != 0)
            {
                return rc;
            }

            Write(h, table, slot, ole, Validation.AdjustUpper(h, nle, level, domain), preserveAd);
        }
        else
        {
            Write(h, table, slot, ole, nle, preserveAd);
        }

        if (level == 2 && !h.Rules.PreemptibleL2)
        {
            PageTableEntries.PutPageFromUpper(h, ole, table);
        }
        else
        {
            PageTableEntries.DeferPutFromUpper(h, ole, table);
        }

        return 0;
    }

    /// <summary>lNe_has_changed(old, new, flags): the address or one of <paramref name="flags"/> differs.</summary>
    private static bool HasChanged(ulong o, ulong n, ulong flags) => ((o ^ n) & (PageFlags.AddressMask | (flags & PageFlags.FlagMask))) != 0;

    /// <summary>UPDATE_ENTRY: a store, or for PRESERVE_AD a cmpxchg loop that keeps the live A and D bits.</summary>
    private static void Write(Hypervisor h, uint table, int slot, ulong old, ulong value, bool preserveAd)
    {
        if (preserveAd)
        {
            value |= old & (PageFlags.Accessed | PageFlags.Dirty);
        }

        h.WriteContents(table, slot, value);
    }
}
