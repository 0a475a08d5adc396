using PvMmu.Events;

namespace PvMmu.Xen.Cpu;

/// <summary>
/// The CPU's own MMU operations on bare hardware (<see cref="HypervisorConfig.BareMetal"/>), as a native kernel issues
/// them through pv_ops' native_* functions (arch/x86/include/asm/special_insns.h, arch/x86/mm/tlb.c): a CR3 write,
/// a local flush, an INVLPG, and the IPI-driven flush of other CPUs. Nothing here is Xen's: no frame is typed or
/// referenced, no flush clock ticks. The model has neither PCID nor PTI, so every CR3 write drops the non-global
/// entries (CR4.PGE keeps the global ones: a native kernel's own mappings).
/// </summary>
internal static class BareMetal
{
    /// <summary>native_write_cr3: the new top-level table, and the TLB's non-global entries dropped.</summary>
    public static void LoadCr3(Hypervisor h, int cpu, uint l4)
    {
        h.Vcpus.GuestTable[cpu] = l4;
        h.Tlb.FlushNonGlobal(cpu);
        h.Events.Add(EventKind.Cr3Load);
    }

    /// <summary>native_flush_tlb_local: a CR3 reload, the non-global entries dropped.</summary>
    public static void FlushLocal(Hypervisor h, int cpu)
    {
        h.Tlb.FlushNonGlobal(cpu);
        h.Events.Add(EventKind.LocalFlush);
    }

    /// <summary>native_flush_tlb_one_user: INVLPG of one page.</summary>
    public static void Invlpg(Hypervisor h, int cpu, ulong va)
    {
        h.Tlb.FlushOne(cpu, va);
        h.Events.Add(EventKind.LocalInvlpg);
    }

    /// <summary>
    /// native_flush_tlb_multi's remote half: one IPI to each CPU of <paramref name="targets"/> (the caller's own bit
    /// clear), whose handler (flush_tlb_func) invalidates <paramref name="pages"/> pages from <paramref name="start"/>
    /// one by one, or flushes its TLB when <paramref name="pages"/> is 0; the caller waits for all. Counted as
    /// Xen's own flush_area_mask is, the same hardware work: one remote flush and its target count.
    /// </summary>
    public static void RemoteFlush(Hypervisor h, ulong targets, ulong start, int pages)
    {
        for (var m = targets; m != 0; m &= m - 1)
        {
            var t = System.Numerics.BitOperations.TrailingZeroCount(m);
            if (pages == 0)
            {
                h.Tlb.FlushNonGlobal(t);
                continue;
            }

            for (var p = 0; p < pages; p++)
            {
                h.Tlb.FlushOne(t, start + ((ulong)p << 12));
            }
        }

        h.Events.Add(EventKind.RemoteFlush);
        h.Events.Add(EventKind.RemoteFlushTargets, System.Numerics.BitOperations.PopCount(targets));
    }
}
