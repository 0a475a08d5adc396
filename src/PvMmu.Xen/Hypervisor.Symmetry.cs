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

    /// <summary>The state's version (see <see cref="Generation"/>), for a caller that will put the state back exactly.</summary>
    public ulong Version => Generation;

    /// <summary>
    /// Declares the state to be again what it was at <paramref name="version"/> (<see cref="Version"/>): for a caller
    /// that changed it and put every byte back (a renaming and its inverse, the flush times normalized and put back),
    /// so that the fingerprint and snapshots cached for that version stay good. Any other use is a bug.
    /// </summary>
    public void ReturnToVersion(ulong version) => Generation = version;

    /// <summary>The vCPUs' tlbflush_time values, copied into <paramref name="into"/>.</summary>
    public void CopyFlushTimes(Span<uint> into) => Vcpus.TlbFlushTime.CopyTo(into);

    /// <summary>Puts back tlbflush_time values copied by <see cref="CopyFlushTimes"/> (a new version, unless returned to one).</summary>
    public void SetFlushTimes(ReadOnlySpan<uint> times)
    {
        times.CopyTo(Vcpus.TlbFlushTime);
        Touch();
    }

    /// <summary>
    /// A hash of vCPU <paramref name="v"/>'s own state (its vCPU table entry and its TLB's entries, each with its slot in the vCPU's own TLB) that
    /// holds no vCPU id, so a renaming carries it along: vCPU i's in s is vCPU π(i)'s in π(s). The symmetry reduction
    /// sorts interchangeable vCPUs by it and tries only the renamings that do (the ties in every order).
    /// </summary>
    public ulong VcpuSignature(int v)
    {
        var vt = Vcpus;
        var h = Mix(0x9E3779B97F4A7C15UL, vt.GuestTable[v]);
        h = Mix(h, vt.GuestTableUser[v]);
        h = Mix(h, (vt.KernelMode[v] ? 1UL : 0) | (vt.Online[v] ? 2UL : 0));
        h = Mix(h, vt.OldGuestTable[v]);
        h = Mix(h, vt.OldGuestPtpg[v]);
        h = Mix(h, vt.TlbFlushTime[v]);
        var t = Tlb;
        h = Mix(h, (ulong)t.Next[v]);
        h = Mix(h, (ulong)t.LinearNext[v]);
        for (var i = v * t.Capacity; i < (v + 1) * t.Capacity; i++)
        {
            if (t.Key[i] != 0)
            {
                h = Mix(h, t.Key[i] ^ ((ulong)t.Mfn[i] << 32) ^ ((ulong)(uint)(i - (v * t.Capacity)) << 56));
                h = Mix(h, (ulong)t.Bits[i] ^ ((ulong)t.L1[i] << 8) ^ ((ulong)t.L2[i] << 40));
                h = Mix(h, t.L3[i] ^ ((ulong)t.L4[i] << 32));
            }
        }

        for (var i = v * t.LinearCapacity; i < (v + 1) * t.LinearCapacity; i++)
        {
            if (t.LinearKey[i] != 0)
            {
                h = Mix(h, t.LinearKey[i] ^ ((ulong)t.LinearFrame[i] << 40) ^ ((ulong)(uint)(i - (v * t.LinearCapacity)) << 58));
            }
        }

        return h;
    }

    /// <summary>One step of a fixed (unseeded) 64-bit mix, so that signatures are the same in every run.</summary>
    public static ulong Mix(ulong h, ulong x)
    {
        h ^= x + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
        h *= 0xBF58476D1CE4E5B9UL;
        return h ^ (h >> 31);
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
