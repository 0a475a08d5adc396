using PvMmu.Events;

namespace PvMmu.Xen.Cpu;

/// <summary>
/// The TLB flush clock and flush operations (xen/arch/x86/flushtlb.c, asm/flushtlb.h, smp.c flush_area_mask).
/// A full flush ticks the global clock (pre_flush) and records it as the CPU's tlbflush_time (post_flush); a
/// frame's stamp then tells which CPUs may still cache it (NEED_FLUSH, tlbflush_filter).
/// </summary>
internal static class TlbFlush
{
    /// <summary>pre_flush: tick the clock. At wrap-around every CPU is flushed and the clock restarts at 1 (new_tlbflush_clock_period).</summary>
    private static uint PreFlush(Hypervisor h)
    {
        var t = h.Clock + 1;
        if (t == 0)
        {
            for (var c = 0; c < h.Vcpus.Count; c++)
            {
                h.Tlb.FlushAll(c);
                h.Vcpus.TlbFlushTime[c] = 0;
            }

            t = 1;
        }

        h.Clock = t;
        return t;
    }

    /// <summary>NEED_FLUSH(cpu_stamp, lastuse_stamp).</summary>
    public static bool NeedFlush(uint now, uint cpuStamp, uint lastUse) => now == 0 || (cpuStamp <= lastUse && lastUse <= now);

    /// <summary>tlbflush_filter: drop from <paramref name="mask"/> the CPUs that certainly flushed after <paramref name="stamp"/>.</summary>
    public static ulong Filter(Hypervisor h, ulong mask, uint stamp)
    {
        var result = mask;
        for (var m = mask; m != 0; m &= m - 1)
        {
            var cpu = System.Numerics.BitOperations.TrailingZeroCount(m);
            if (!NeedFlush(h.Clock, h.Vcpus.TlbFlushTime[cpu], stamp))
            {
                result &= ~(1UL << cpu);
            }
        }

        return result;
    }

    /// <summary>A flush of one CPU's TLB, done on that CPU.</summary>
    public static void FlushCpu(Hypervisor h, int cpu, FlushKind kind, ulong va = 0)
    {
        if (kind == FlushKind.One)
        {
            h.Tlb.FlushOne(cpu, va);
            return;
        }

        var t = PreFlush(h);
        h.Tlb.FlushAll(cpu);
        h.Vcpus.TlbFlushTime[cpu] = t;
    }

    /// <summary>
    /// flush_area_mask: the calling CPU, if in the mask, flushes itself; the others get one IPI broadcast and the
    /// caller waits for all of them. Counted as one local flush and one remote flush with its target count.
    /// </summary>
    public static void FlushMask(Hypervisor h, ulong mask, FlushKind kind, ulong va = 0)
    {
        var self = h.CurrentVcpu;
        var selfBit = self >= 0 ? 1UL << self : 0;
        if ((mask & selfBit) != 0)
        {
            FlushCpu(h, self, kind, va);
            h.Events.Add(kind == FlushKind.All ? EventKind.LocalFlush : EventKind.LocalInvlpg);
        }

        var others = mask & ~selfBit;
        if (others == 0)
        {
            return;
        }

        for (var m = others; m != 0; m &= m - 1)
        {
            FlushCpu(h, System.Numerics.BitOperations.TrailingZeroCount(m), kind, va);
        }

        h.Events.Add(EventKind.RemoteFlush);
        h.Events.Add(EventKind.RemoteFlushTargets, System.Numerics.BitOperations.PopCount(others));
    }

    /// <summary>write_ptbase → switch_cr3_cr4: a CR3 load on the calling CPU. A full flush, global entries included.</summary>
    public static void LoadCr3(Hypervisor h, int cpu)
    {
        FlushCpu(h, cpu, FlushKind.All);
        h.Events.Add(EventKind.Cr3Load);
    }
}
