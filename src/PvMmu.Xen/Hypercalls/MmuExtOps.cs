using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// HYPERVISOR_mmuext_op: do_mmuext_op and new_guest_cr3 (xen/arch/x86/mm.c). Ops run in order, each flush at once;
/// the call stops at the first failing op.
/// </summary>
internal static class MmuExtOps
{
    public static long Hypercall(Hypervisor h, ReadOnlySpan<MmuExtOpRequest> ops, out uint done, uint foreignDom, ulong listHandle, int copyable)
        => Continuations.Counted(h, Run(h, ops, out done, foreignDom, listHandle, copyable));

    /// <summary>The hypercall's body without its entry, as a multicall entry runs it.</summary>
    public static long Run(Hypervisor h, ReadOnlySpan<MmuExtOpRequest> ops, out uint done, uint foreignDom, ulong listHandle, int copyable = int.MaxValue)
    {
        done = 0;
        var v = h.CurrentVcpu;
        PageTableEntries.PutOldGuestTable(h, v);
        if (ops.Length > 0 && !GuestHandles.CanCopy(listHandle, (ulong)ops.Length * 24))
        {
            return -Errno.EFAULT;
        }

        // get_pg_owner takes a domid_t: the upper bits of the argument are dropped, as in Xen.
        var pgOwner = ForeignDomains.GetPgOwner((ushort)foreignDom);
        if (pgOwner < 0)
        {
            return -Errno.ESRCH;
        }

        // is_pv_domain(pg_owner) holds for dom_io and dom_xen too; XSM then refuses every foreign owner.
        if (!ForeignDomains.XsmTargetAllowed(pgOwner))
        {
            return -Errno.EPERM;
        }

        long rc = 0;
        var i = 0;
        while (true)
        {
            for (; i < ops.Length; i++)
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

                h.Events.Add(EventKind.MmuExtOp);
                rc = One(h, ops[i], (ushort)pgOwner);
                if (rc != 0)
                {
                    break;
                }
            }

            if (!Continuations.NextLeg(h, v, ref rc))
            {
                break;
            }
        }

        done = (uint)i;
        return rc;
    }

    private static int One(Hypervisor h, MmuExtOpRequest op, ushort pgOwner)
    {
        var self = pgOwner == DomainTable.Guest;
        switch (op.Cmd)
        {
            case MmuExtOp.PinL1Table:
                return Pin(h, FrameTable.Narrow(op.Arg1), PageType.L1, pgOwner);
            case MmuExtOp.PinL2Table:
                return Pin(h, FrameTable.Narrow(op.Arg1), PageType.L2, pgOwner);
            case MmuExtOp.PinL3Table:
                return Pin(h, FrameTable.Narrow(op.Arg1), PageType.L3, pgOwner);
            case MmuExtOp.PinL4Table:
                return Pin(h, FrameTable.Narrow(op.Arg1), PageType.L4, pgOwner);
            case MmuExtOp.UnpinTable:
                return Unpin(h, FrameTable.Narrow(op.Arg1), pgOwner);
            case MmuExtOp.NewBaseptr:
                return self ? NewGuestCr3(h, FrameTable.Narrow(op.Arg1)) : -Errno.EPERM;
            case MmuExtOp.NewUserBaseptr:
                return self ? NewUserBaseptr(h, FrameTable.Narrow(op.Arg1)) : -Errno.EPERM;
            case MmuExtOp.TlbFlushLocal:
                if (!self)
                {
                    return -Errno.EPERM;
                }

                TlbFlush.FlushMask(h, 1UL << h.CurrentVcpu, FlushKind.All);
                return 0;
            case MmuExtOp.InvlpgLocal:
                if (!self)
                {
                    return -Errno.EPERM;
                }

                Invlpg(h, op.Arg1);
                return 0;
            case MmuExtOp.TlbFlushMulti:
            case MmuExtOp.InvlpgMulti:
            {
                if (!self)
                {
                    return -Errno.EPERM;
                }

                if (!VcpuMaskToPcpuMask(h, op.Arg2, op.VcpuMask, out var mask))
                {
                    return -Errno.EINVAL;
                }

                if (op.Cmd == MmuExtOp.TlbFlushMulti)
                {
                    TlbFlush.FlushMask(h, mask, FlushKind.All);
                }
                else if (GuestHandles.AddrOk(op.Arg1))
                {
                    TlbFlush.FlushMask(h, mask, FlushKind.One, op.Arg1);
                }

                return 0;
            }

            case MmuExtOp.TlbFlushAll:
                if (!self)
                {
                    return -Errno.EPERM;
                }

                TlbFlush.FlushMask(h, h.Domains.DirtyCpuMask[DomainTable.Guest], FlushKind.All);
                return 0;
            case MmuExtOp.InvlpgAll:
                if (!self)
                {
                    return -Errno.EPERM;
                }

                if (GuestHandles.AddrOk(op.Arg1))
                {
                    TlbFlush.FlushMask(h, h.Domains.DirtyCpuMask[DomainTable.Guest], FlushKind.One, op.Arg1);
                }

                return 0;
            case MmuExtOp.FlushCache:
                // cache_flush_permitted: only with I/O memory rights, which a domU lacks.
                return self ? -Errno.EACCES : -Errno.EPERM;
            case MmuExtOp.FlushCacheGlobal:
                return self ? -Errno.EINVAL : -Errno.EPERM;
            case MmuExtOp.SetLdt:
                return self ? SetLdt(op.Arg1, op.Arg2) : -Errno.EPERM;
            case MmuExtOp.ClearPage:
                return ClearPage(h, FrameTable.Narrow(op.Arg1), pgOwner);
            case MmuExtOp.CopyPage:
                return CopyPage(h, FrameTable.Narrow(op.Arg1), FrameTable.Narrow(op.Arg2), pgOwner);
            case MmuExtOp.MarkSuper:
            case MmuExtOp.UnmarkSuper:
                // PV superpage support was removed.
                return -Errno.EOPNOTSUPP;
            default:
                return -Errno.ENOSYS;
        }
    }

    /// <summary>
    /// MMUEXT_PIN_Lk_TABLE: a general reference and a type reference of level k (validating the tree if the
    /// type count was 0), kept by the pin. Pinning twice gives -EINVAL, and the extra type reference is dropped:
    /// at once for an L1, through old_guest_table and a continuation for L2–L4.
    /// </summary>
    private static int Pin(Hypervisor h, uint mfn, PageType type, ushort pgOwner)
    {
        if (!PageRefs.GetPageFromMfn(h, mfn, pgOwner))
        {
            return -Errno.EINVAL;
        }

        var rc = PageTypes.Get(h, mfn, type);
        if (rc != 0)
        {
            PageRefs.PutPage(h, mfn);
            return rc;
        }

        var f = h.Frames;
        if (f.Has(mfn, FrameFlags.Pinned))
        {
            if (type == PageType.L1)
            {
                PageTypes.PutPageAndType(h, mfn);
            }
            else
            {
                h.Vcpus.OldGuestTable[h.CurrentVcpu] = mfn;
                h.Vcpus.OldGuestPtpg[h.CurrentVcpu] = 0;
            }

            return -Errno.EINVAL;
        }

        f.Set(mfn, FrameFlags.Pinned);
        return 0;
    }

    /// <summary>
    /// MMUEXT_UNPIN_TABLE: clears the pin and drops its references. Xen does not check for other users such as
    /// another vCPU's CR3: the type count then stays above 0 and nothing is devalidated
    /// (docs/xen-rules.md#unpin-while-in-use).
    /// </summary>
    private static int Unpin(Hypervisor h, uint mfn, ushort pgOwner)
    {
        if (!PageRefs.GetPageFromMfn(h, mfn, pgOwner))
        {
            return -Errno.EINVAL;
        }

        var f = h.Frames;
        if (!f.Has(mfn, FrameFlags.Pinned))
        {
            PageRefs.PutPage(h, mfn);
            return -Errno.EINVAL;
        }

        f.Clear(mfn, FrameFlags.Pinned);
        PageTypes.PutPageAndType(h, mfn);
        PageRefs.PutPage(h, mfn);
        return 0;
    }

    /// <summary>
    /// new_guest_cr3 for a 64-bit guest: the same base is just reloaded; otherwise the new L4 takes a general and
    /// a type reference (validating its tree if unreferenced), CR3 is loaded (a full local flush), and the old L4's
    /// references are dropped — which demotes its whole tree if they were its last.
    /// </summary>
    public static int NewGuestCr3(Hypervisor h, uint mfn)
    {
        var v = h.CurrentVcpu;
        if (h.IsPv32BitDomain(DomainTable.Guest))
        {
            return NewCompatCr3(h, v, mfn);
        }

        var old = h.Vcpus.GuestTable[v];
        if (old == mfn)
        {
            TlbFlush.LoadCr3(h, v);
            return 0;
        }

        var rc = PageTypes.GetPageAndTypeFromMfn(h, mfn, PageType.L4, DomainTable.Guest);
        if (rc != 0)
        {
            return rc;
        }

        h.Vcpus.GuestTable[v] = mfn;
        TlbFlush.LoadCr3(h, v);
        if (old != 0)
        {
            PageTypes.PutPageAndType(h, old);
        }

        return 0;
    }

    /// <summary>
    /// new_guest_cr3 for a 32-bit PV domain: the new top-level L3 goes into slot 0 of the vCPU's compat L4
    /// (<see cref="CompatL4"/>) by mod_l4_entry with P|RW|U|A, which types it L3 (validating it if unreferenced) and
    /// defers the put of the old L3 to old_guest_table; -EINTR and -ERESTART become -ERESTART. Then write_ptbase
    /// reloads CR3 (a full local flush). The compat L4 itself never changes.
    /// </summary>
    private static int NewCompatCr3(Hypervisor h, int v, uint mfn)
    {
        var l4 = h.Vcpus.GuestTable[v];
        var rc = MmuUpdates.ModUpperEntry(h, l4, 0, PageFlags.Entry(mfn, PageFlags.Present | PageFlags.Rw | PageFlags.User | PageFlags.Accessed), 4, false, DomainTable.Guest);
        if (rc == -Errno.EINTR)
        {
            rc = -Errno.ERestart;
        }

        if (rc != 0)
        {
            return rc;
        }

        TlbFlush.LoadCr3(h, v);
        return 0;
    }

    /// <summary>MMUEXT_NEW_USER_BASEPTR: the table used in guest user mode; 0 means none. Not loaded until the next switch to user mode.</summary>
    private static int NewUserBaseptr(Hypervisor h, uint mfn)
    {
        var v = h.CurrentVcpu;
        var old = h.Vcpus.GuestTableUser[v];
        if (old == mfn)
        {
            return 0;
        }

        if (mfn != 0)
        {
            var rc = PageTypes.GetPageAndTypeFromMfn(h, mfn, PageType.L4, DomainTable.Guest);
            if (rc != 0)
            {
                return rc;
            }
        }

        h.Vcpus.GuestTableUser[v] = mfn;
        if (old != 0)
        {
            PageTypes.PutPageAndType(h, old);
        }

        return 0;
    }

    /// <summary>paging_invlpg: one local INVLPG; a non-canonical address is ignored.</summary>
    public static void Invlpg(Hypervisor h, ulong va)
    {
        if (!GuestHandles.IsCanonical(va))
        {
            return;
        }

        TlbFlush.FlushMask(h, 1UL << h.CurrentVcpu, FlushKind.One, va);
    }

    /// <summary>
    /// vcpumask_to_pcpumask: each vCPU named in the bitmap adds the pCPU it is loaded on; vCPUs that are not loaded
    /// anywhere, and bits beyond the domain's vCPUs, are skipped. False when the bitmap cannot be read.
    /// </summary>
    public static bool VcpuMaskToPcpuMask(Hypervisor h, ulong pointer, ulong bitmap, out ulong pcpus)
    {
        pcpus = 0;
        if (!GuestHandles.CanCopy(pointer, 8))
        {
            return false;
        }

        for (var v = 0; v < h.Vcpus.Count; v++)
        {
            if ((bitmap & (1UL << v)) != 0 && h.Vcpus.Online[v])
            {
                pcpus |= 1UL << v;
            }
        }

        return true;
    }

    /// <summary>
    /// MMUEXT_SET_LDT: the model keeps no LDT; it checks the arguments as Xen does (page-aligned base, a valid
    /// address, at most 8192 entries) and accepts them.
    /// </summary>
    private static int SetLdt(ulong linearAddr, ulong entries)
    {
        var ptr = entries != 0 ? linearAddr : 0;
        if ((ptr & 0xFFF) != 0 || !GuestHandles.AddrOk(ptr) || entries > 8192)
        {
            return -Errno.EINVAL;
        }

        return 0;
    }

    /// <summary>MMUEXT_CLEAR_PAGE: a temporary writable type reference, so a frame in use as a table is refused.</summary>
    private static int ClearPage(Hypervisor h, uint mfn, ushort pgOwner)
    {
        if (!PageRefs.GetPageFromMfn(h, mfn, pgOwner))
        {
            return -Errno.EINVAL;
        }

        if (!PageTypes.TryGet(h, mfn, PageType.Writable))
        {
            PageRefs.PutPage(h, mfn);
            return -Errno.EINVAL;
        }

        var t = h.Frames.TableIndex[mfn];
        if (t >= 0)
        {
            Array.Clear(h.Tables.Writable(t));
        }

        PageTypes.PutPageAndType(h, mfn);
        return 0;
    }

    /// <summary>MMUEXT_COPY_PAGE: the source needs a general reference, the destination a writable type reference.</summary>
    private static int CopyPage(Hypervisor h, uint dst, uint src, ushort pgOwner)
    {
        if (!PageRefs.GetPageFromMfn(h, src, pgOwner))
        {
            return -Errno.EINVAL;
        }

        if (!PageRefs.GetPageFromMfn(h, dst, pgOwner))
        {
            PageRefs.PutPage(h, src);
            return -Errno.EINVAL;
        }

        if (!PageTypes.TryGet(h, dst, PageType.Writable))
        {
            PageRefs.PutPage(h, src);
            PageRefs.PutPage(h, dst);
            return -Errno.EINVAL;
        }

        for (var s = 0; s < PageTablePool.EntriesPerTable; s++)
        {
            h.WriteContents(dst, s, h.ReadContents(src, s));
        }

        PageTypes.PutPageAndType(h, dst);
        PageRefs.PutPage(h, src);
        return 0;
    }
}
