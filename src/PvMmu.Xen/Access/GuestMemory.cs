using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Ptwr;

namespace PvMmu.Xen.Access;

/// <summary>
/// The guest's loads and stores as the CPU performs them: through the TLB, or by walking the vCPU's current
/// tables (the kernel ones in kernel mode, the user ones in user mode), which fills the TLB. A 64-bit PV guest
/// kernel runs in ring 3, so every level needs U (Xen adds it to every guest entry). The walk sets the L1 entry's
/// accessed bit, and its dirty bit on a write. A write the tables forbid is a page fault, which Xen may fix up
/// by emulating the write (ptwr) before the guest sees it. On bare hardware (<see cref="HypervisorConfig.BareMetal"/>)
/// the kernel runs in ring 0: a supervisor walk needs only P, and a forbidden write is a page fault, never emulated.
/// </summary>
internal static class GuestMemory
{
    private const ulong WalkNeeds = PageFlags.Present | PageFlags.User;

    /// <summary>What a supervisor-mode walk on bare hardware needs at every level: present (U is for user mode only).</summary>
    private const ulong BareWalkNeeds = PageFlags.Present;

    public static AccessResult Access(Hypervisor h, ulong va, AccessKind kind, ulong value, out ulong result)
    {
        result = 0;
        var v = h.CurrentVcpu;
        var write = kind != AccessKind.Load;
        if ((va & (kind == AccessKind.Store4 ? 3UL : 7UL)) != 0 || !GuestHandles.IsCanonical(va) || !GuestHandles.AddrOk(va))
        {
            // Misaligned (the model only has naturally aligned accesses), non-canonical (#GP), or Xen's range.
            return InjectFault(h);
        }

        var i = h.Tlb.Find(v, va);
        if (i >= 0)
        {
            var bits = h.Tlb.Bits[i];
            if (!write || (bits & (TlbBits.Writable | TlbBits.Dirty)) == (TlbBits.Writable | TlbBits.Dirty))
            {
                return Complete(h, h.Tlb.Mfn[i], va, kind, value, out result);
            }

            // A write through a read-only entry faults, and the CPU drops the entry; a first write through a
            // clean writable entry walks again to set the dirty bit.
            h.Tlb.Key[i] = 0;
        }

        var walk = Walk(h, v, va, write);
        if (walk.Fault == WalkFault.NotPresent)
        {
            return InjectFault(h);
        }

        if (walk.Fault == WalkFault.Protection)
        {
            if (!h.Config.BareMetal && PtwrEmulator.TryEmulate(h, va, value, kind == AccessKind.Store4 ? 4 : 8, out result))
            {
                return AccessResult.Emulated;
            }

            return InjectFault(h);
        }

        return Complete(h, walk.Mfn, va, kind, value, out result);
    }

    private static AccessResult Complete(Hypervisor h, uint mfn, ulong va, AccessKind kind, ulong value, out ulong result)
    {
        var slot = (int)((va >> 3) & 511);
        result = h.ReadContents(mfn, slot);
        if (kind == AccessKind.Store4)
        {
            h.WriteContents(mfn, slot, MergeHalf(result, va, value));
        }
        else if (kind != AccessKind.Load)
        {
            h.WriteContents(mfn, slot, value);
        }

        h.Events.Add(EventKind.GuestAccess);
        return AccessResult.Ok;
    }

    /// <summary>
    /// The 8-byte word <paramref name="full"/> with the 4-byte half at <paramref name="va"/> replaced by the low 32
    /// bits of <paramref name="value"/> (little-endian: the half at offset 4 is the high one). ptwr_emulated_update
    /// widens a sub-word write the same way: the caller's bytes over the full word it reads.
    /// </summary>
    public static ulong MergeHalf(ulong full, ulong va, ulong value)
    {
        var shift = (int)(va & 4) * 8;
        const ulong Half = 0xFFFF_FFFFUL;
        return (full & ~(Half << shift)) | ((value & Half) << shift);
    }

    private static AccessResult InjectFault(Hypervisor h)
    {
        h.Events.Add(EventKind.FaultInjected);
        return AccessResult.PageFault;
    }

    private enum WalkFault
    {
        None,
        NotPresent,
        Protection,
    }

    private readonly record struct WalkResult(WalkFault Fault, uint Mfn);

    /// <summary>The hardware page walk from the current CR3; on success the TLB is filled.</summary>
    private static WalkResult Walk(Hypervisor h, int v, ulong va, bool write)
    {
        var needs = h.Config.BareMetal ? BareWalkNeeds : WalkNeeds;
        var l4 = h.Vcpus.CurrentTable(v);
        if (l4 == 0)
        {
            return new(WalkFault.NotPresent, 0);
        }

        var l4e = h.ReadContents(l4, (int)((va >> 39) & 511));
        if ((l4e & needs) != needs)
        {
            return new(WalkFault.NotPresent, 0);
        }

        var l3 = PageFlags.Mfn(l4e);
        var l3e = h.ReadContents(l3, (int)((va >> 30) & 511));
        if ((l3e & needs) != needs)
        {
            return new(WalkFault.NotPresent, 0);
        }

        var l2 = PageFlags.Mfn(l3e);
        var l2e = h.ReadContents(l2, (int)((va >> 21) & 511));
        if ((l2e & needs) != needs)
        {
            return new(WalkFault.NotPresent, 0);
        }

        var l1 = PageFlags.Mfn(l2e);
        var slot = (int)((va >> 12) & 511);
        var l1e = h.ReadContents(l1, slot);
        if ((l1e & needs) != needs)
        {
            return new(WalkFault.NotPresent, 0);
        }

        var rw = l4e & l3e & l2e & l1e & PageFlags.Rw;
        if (write && rw == 0)
        {
            return new(WalkFault.Protection, 0);
        }

        var updated = l1e | PageFlags.Accessed | (write ? PageFlags.Dirty : 0);
        if (updated != l1e)
        {
            h.WriteContents(l1, slot, updated);
        }

        var bits = (rw != 0 ? TlbBits.Writable : TlbBits.None)
            | ((l1e & PageFlags.Global) != 0 ? TlbBits.Global : TlbBits.None)
            | ((updated & PageFlags.Dirty) != 0 ? TlbBits.Dirty : TlbBits.None);
        var mfn = PageFlags.Mfn(l1e);
        h.Tlb.Insert(v, va, mfn, bits, l4, l3, l2, l1);
        h.Events.Add(EventKind.TlbFill);
        return new(WalkFault.None, mfn);
    }

    /// <summary>
    /// A read of one of the guest's entries through Xen's linear page-table mapping on this CPU
    /// (__linear_l1_table / __linear_l2_table): the translation of the linear page is cached, so after an upper
    /// entry changed without a flush it can still reach the old table (XSA-286). Returns the frame that holds the
    /// entry (an L1 for level 1, an L2 for level 2), or 0 when the linear access faults.
    /// </summary>
    public static uint LinearTableFrame(Hypervisor h, ulong va, int level)
    {
        var v = h.CurrentVcpu;
        var cached = h.Tlb.FindLinear(v, va, level);
        if (cached != 0)
        {
            return cached;
        }

        // The linear mapping goes through the L4's self slot, so reaching the table at `level` walks 4 - level
        // levels of the guest's own tables.
        var table = h.Vcpus.CurrentTable(v);
        if (table == 0)
        {
            return 0;
        }

        for (var lvl = 4; lvl > level; lvl--)
        {
            var e = h.ReadContents(table, (int)((va >> (12 + (9 * (lvl - 1)))) & 511));
            if ((e & PageFlags.Present) == 0 || (lvl < 4 && (e & PageFlags.Pse) != 0))
            {
                return 0;
            }

            table = PageFlags.Mfn(e);
        }

        h.Tlb.InsertLinear(v, va, level, table);
        return table;
    }

    /// <summary>
    /// map_guest_l1e (xen/arch/x86/pv/mm.c): the L2 entry for <paramref name="va"/> read through the linear L2
    /// table must be present without PSE; the L1 it names is returned, or 0.
    /// </summary>
    public static uint MapGuestL1e(Hypervisor h, ulong va)
    {
        if (!GuestHandles.AddrOk(va))
        {
            return 0;
        }

        var l2 = LinearTableFrame(h, va, 2);
        if (l2 == 0)
        {
            return 0;
        }

        var l2e = h.ReadContents(l2, (int)((va >> 21) & 511));
        if ((l2e & (PageFlags.Present | PageFlags.Pse)) != PageFlags.Present)
        {
            return 0;
        }

        return PageFlags.Mfn(l2e);
    }
}
