using PvMmu.Xen.Symmetry;

namespace PvMmu.Xen;

public sealed partial class Hypervisor
{
    /// <summary>
    /// The declared arrays (<see cref="DeclaredState"/>) that hold one block per vCPU, which <see cref="PermuteVcpus"/>
    /// moves, and those that hold cpumasks, whose bits it renames; every other declared array is indexed by frame or
    /// domain and holds no vCPU id (a test holds the declaration to this list).
    /// </summary>
    public static IReadOnlyList<string> PerVcpuState { get; } =
    [
        "vcpu.guest_table", "vcpu.guest_table_user", "vcpu.kernel_mode", "vcpu.online", "vcpu.old_guest_table",
        "vcpu.old_guest_ptpg", "vcpu.tlbflush_time", "tlb.key", "tlb.mfn", "tlb.bits", "tlb.l1", "tlb.l2", "tlb.l3",
        "tlb.l4", "tlb.next", "tlb.linear_key", "tlb.linear_frame", "tlb.linear_next",
    ];

    /// <summary>The declared arrays that are cpumasks (see <see cref="PerVcpuState"/>).</summary>
    public static IReadOnlyList<string> CpumaskState { get; } = ["domain.dirty_cpumask"];

    /// <summary>
    /// Renames the vCPUs of the whole hypervisor state by <paramref name="p"/>: every per-vCPU array (the vCPU table,
    /// each vCPU's TLB entries and its round-robin cursor) moved to the new ids, and every domain's dirty cpumask
    /// renamed. For symmetry reduction; the state is a new version afterwards (snapshots taken before stay valid).
    /// </summary>
    public void PermuteVcpus(VcpuPermutation p)
    {
        var v = Vcpus;
        p.Blocks(v.GuestTable);
        p.Blocks(v.GuestTableUser);
        p.Blocks(v.KernelMode);
        p.Blocks(v.Online);
        p.Blocks(v.OldGuestTable);
        p.Blocks(v.OldGuestPtpg);
        p.Blocks(v.TlbFlushTime);
        var t = Tlb;
        p.Blocks(t.Key, t.Capacity);
        p.Blocks(t.Mfn, t.Capacity);
        p.Blocks(t.Bits, t.Capacity);
        p.Blocks(t.L1, t.Capacity);
        p.Blocks(t.L2, t.Capacity);
        p.Blocks(t.L3, t.Capacity);
        p.Blocks(t.L4, t.Capacity);
        p.Blocks(t.Next);
        p.Blocks(t.LinearKey, t.LinearCapacity);
        p.Blocks(t.LinearFrame, t.LinearCapacity);
        p.Blocks(t.LinearNext);
        p.Masks(Domains.DirtyCpuMask);
        Touch();
    }

    /// <summary>
    /// Puts each vCPU's tlbflush_time at the least value it can have and behave the same: the smallest page stamp
    /// (page_info.tlbflush_timestamp) at or above it, or the clock when none is. The times are read only by NEED_FLUSH
    /// (<c>cpu_stamp &lt;= lastuse_stamp &lt;= now</c>, tlbflush_filter), so two times with the same stamps at or above
    /// them filter every present page alike, and every future stamp is the clock then, at or above both; a flush sets
    /// the time to the clock in either state. States that differ only so are bisimilar, and the symmetry reduction
    /// merges them (which vCPU of a flush_area_mask ticked the clock first, or which of two borrowers flushed first in
    /// the setup, says nothing about the future). Clock wrap-around (2^32 flushes) is outside every search. Returns
    /// whether a time changed (the state is then a new version).
    /// </summary>
    public bool NormalizeFlushTimes()
    {
        var times = Vcpus.TlbFlushTime;
        var changed = false;
        for (var c = 0; c < times.Length; c++)
        {
            var least = LeastEquivalentTime(times[c]);
            if (least != times[c])
            {
                times[c] = least;
                changed = true;
            }
        }

        if (changed)
        {
            Touch();
        }

        return changed;
    }

    /// <summary>Whether <see cref="NormalizeFlushTimes"/> would change a time (it reads the state only).</summary>
    public bool NormalizeFlushTimesNeeded()
    {
        foreach (var t in Vcpus.TlbFlushTime)
        {
            if (LeastEquivalentTime(t) != t)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The smallest page stamp at or above <paramref name="t"/>, or the clock if none is (or <paramref name="t"/> if above the clock).</summary>
    private uint LeastEquivalentTime(uint t)
    {
        var least = Clock;
        if (t >= least)
        {
            return t;
        }

        foreach (var s in Frames.TlbStamp)
        {
            if (s >= t && s < least)
            {
                least = s;
            }
        }

        return least;
    }
}
