using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// fork's dup_mmap (kernel/fork.c) with copy_page_range → copy_pte_range (mm/memory.c) and the pin at the end
/// (arch_dup_mmap → xen_dup_mmap / xen_enter_mmap); exec's new mm (fs/exec.c: bprm_mm_init, the stack faulted in,
/// exec_mmap → activate_mm, mmput of the old mm).
/// </summary>
public static class ForkExec
{
    /// <summary>
    /// dup_mmap: a new mm with the parent's VMAs; per (VMA × PTE page) slice, the child's tables are allocated (an
    /// unpinned mm: plain stores), then in lazy MMU mode each present PTE is copied: a writable one is
    /// write-protected in the parent with a native locked bit-clear (a trap on the pinned parent L1) and the child's
    /// copy written with set_pte_at (a queued mmu_update). Then the child is pinned and the parent's TLB flushed.
    /// The steps below, run in order without anything in between (the scheduler seam runs them one at a time).
    /// </summary>
    public static int Fork(Kernel k, int cpu, int parent, IExitStrategy strategy)
    {
        var child = ForkBegin(k, cpu, parent, strategy);
        for (var slice = 0; CopySlice(k, cpu, parent, child, slice); slice++)
        {
            if (k.Lazy[cpu] == LazyMode.Mmu)
            {
                LeaveLazyMmu(k, cpu);
            }
        }

        ForkPin(k, cpu, child);
        FlushTlbMm(k, cpu, parent);
        return child;
    }

    /// <summary>
    /// dup_mmap's start (kernel/fork.c, under mmap_write_lock of both mms): mm_alloc → pgd_alloc (and the early pin
    /// of the variants that pin at allocation), and every VMA of the parent duplicated (vm_area_dup) in the child.
    /// </summary>
    public static int ForkBegin(Kernel k, int cpu, int parent, IExitStrategy strategy)
    {
        k.Events.Add(cpu, EventKind.Fork);
        var child = MmOps.CreateMm(k, cpu);
        if (strategy.PinAtAlloc)
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[child]);
        }

        for (var v = 0; v < k.Mms.VmaCount[parent]; v++)
        {
            var i = (parent * MmTable.MaxVmas) + v;
            var start = k.Mms.VmaStart[i];
            var end = k.Mms.VmaEnd[i];
            MmOps.MapAnonymous(k, child, start, (int)((end - start) >> 12));

            // vma_needs_copy: a file VMA with no anon_vma (the model's are never written privately) is not copied
            // (CopySlice skips it); the child faults its pages in from the page cache.
            k.Mms.VmaFile[(child * MmTable.MaxVmas) + k.Mms.VmaCount[child] - 1] = k.Mms.VmaFile[i];
        }

        return child;
    }

    /// <summary>The number of <see cref="CopySlice"/> steps a fork of <paramref name="parent"/> takes.</summary>
    public static int CopySlices(Kernel k, int parent) => ExitPath.SliceCount(k, parent);

    /// <summary>
    /// copy_pte_range (mm/memory.c) for slice <paramref name="index"/> of the parent (one PTE page), up to but not
    /// including arch_leave_lazy_mmu_mode: the child's tables allocated (pte_alloc_map_lock), both PTE locks taken,
    /// arch_enter_lazy_mmu_mode, and for each present PTE copy_present_pte: ptep_set_wrprotect on the parent (a native
    /// locked bit-clear, seen by every vCPU at once) and set_pte_at on the child (xen_batched_set_pte: queued). When
    /// the parent has a PTE page there, the CPU is left in lazy MMU mode, interrupts on, the child's PTEs queued; the
    /// caller leaves it (<see cref="LeaveLazyMmu"/>). False when there is no such slice.
    /// </summary>
    public static bool CopySlice(Kernel k, int cpu, int parent, int child, int index)
    {
        if (!ExitPath.SliceAt(k, parent, index, out var va, out var sliceEnd))
        {
            return false;
        }

        // vma_needs_copy: a file VMA's slice copies nothing (see ForkBegin).
        var src = FileVma(k, parent, va) ? 0 : MmOps.FindPteTable(k, cpu, k.Mms.Pgd[parent], va);
        if (src == 0)
        {
            return true;
        }

        var dst = MmOps.PteTableFor(k, cpu, child, va);
        k.Lazy[cpu] = LazyMode.Mmu;
        for (var a = va; a < sliceEnd; a += 4096)
        {
            var slot = Layout.PteIndex(a);
            var srcp = k.Va(src) + ((ulong)slot * 8);
            var pte = k.Load(cpu, srcp);
            if (!PageFlags.IsPresent(pte))
            {
                continue;
            }

            if ((pte & PageFlags.Rw) != 0)
            {
                // ptep_set_wrprotect: clear_bit(_PAGE_BIT_RW), a locked RMW on the parent's table.
                pte &= ~PageFlags.Rw;
                k.Xchg(cpu, srcp, pte);
            }

            k.GetDataPage(PageFlags.Mfn(pte));
            PtSetters.SetPte(k, cpu, dst, slot, pte);
        }

        return true;
    }

    /// <summary>Whether <paramref name="va"/> lies in a file-backed VMA of <paramref name="mm"/>.</summary>
    private static bool FileVma(Kernel k, int mm, ulong va)
    {
        for (var v = 0; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            if (va >= k.Mms.VmaStart[i] && va < k.Mms.VmaEnd[i])
            {
                return MmTable.IsFile(k.Mms.VmaFile[i]);
            }
        }

        return false;
    }

    /// <summary>
    /// arch_leave_lazy_mmu_mode → xen_leave_lazy_mmu (6.1: preempt_disable, xen_mc_flush, paravirt_leave_lazy_mmu):
    /// what the batch queued is issued (whatever an interrupt's handler has not issued already), and the CPU leaves
    /// lazy MMU mode.
    /// </summary>
    public static void LeaveLazyMmu(Kernel k, int cpu)
    {
        k.Mc.Flush(cpu);
        k.Lazy[cpu] = LazyMode.None;
    }

    /// <summary>arch_dup_mmap → xen_dup_mmap (xen_enter_mmap since 6.4): pin the child under page_table_lock, unless pinned already.</summary>
    public static void ForkPin(Kernel k, int cpu, int child)
    {
        if (!k.Pinned(k.Mms.Pgd[child]))
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[child]);
        }
    }

    /// <summary>
    /// flush_tlb_mm (6.x before 6.14): other CPUs in mm_cpumask → flush_tlb_multi (one TLB_FLUSH_MULTI); only this
    /// CPU → xen_flush_tlb (TLB_FLUSH_LOCAL); both issued at once outside lazy MMU mode.
    /// </summary>
    public static void FlushTlbMm(Kernel k, int cpu, int mm)
    {
        if (k.Native)
        {
            NativeTlb.FlushMmRange(k, cpu, mm, 0, ulong.MaxValue, freedTables: false);
            return;
        }

        var others = k.Mms.CpuMask[mm] & ~(1UL << cpu);
        var here = k.LoadedMm[cpu] == mm;
        if (others != 0)
        {
            k.Events.Add(cpu, EventKind.FlushTlbMulti);
            k.Mc.MmuextOpEntry(cpu, MmuExtOpRequest.FlushMulti(others | (here ? 1UL << cpu : 0)), MulticallBuffers.FlushMultiBytes);
        }
        else if (here)
        {
            k.Mc.MmuextOpEntry(cpu, new MmuExtOpRequest(MmuExtOp.TlbFlushLocal, 0));
        }
        else
        {
            return;
        }

        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Mmu);
    }

    /// <summary>
    /// exec of a program that is only its stack: see <see cref="Exec(Kernel, int, int, ProcessImage, IExitStrategy)"/>.
    /// </summary>
    public static int Exec(Kernel k, int cpu, int old, int stackPages, IExitStrategy strategy) =>
        Exec(k, cpu, old, ProcessImage.StackOnly(stackPages), strategy);

    /// <summary>
    /// exec: a fresh mm whose stack pages are faulted in while it is unpinned (one direct mmu_update each), then
    /// activate_mm pins it (unless the variant pinned it at pgd_alloc) and switches to it, and the old mm's last
    /// user drops it (its full teardown). The new program then runs and faults in its regions, on the pinned mm.
    /// The steps below, run in order without anything in between (the scheduler seam runs them one at a time).
    /// </summary>
    public static int Exec(Kernel k, int cpu, int old, ProcessImage image, IExitStrategy strategy)
    {
        var mm = ExecBegin(k, cpu, image, strategy);
        for (var slice = 0; FaultSlice(k, cpu, mm, 0, slice); slice++)
        {
        }

        ExecActivate(k, cpu, mm);
        MmOps.SwitchMm(k, cpu, mm);
        if (--k.Mms.Users[old] == 0)
        {
            ExitPath.ExitMmap(k, cpu, old, strategy);
            ExitPath.MmDrop(k, cpu, old, strategy);
        }

        MapRegions(k, mm, image);
        for (var slice = 0; FaultSlice(k, cpu, mm, 1, slice); slice++)
        {
        }

        return mm;
    }

    /// <summary>
    /// bprm_mm_init (fs/exec.c): mm_alloc → pgd_alloc (and the early pin of the variants that pin at allocation) and
    /// the stack VMA (__bprm_mm_init; its pages are at the top of the stack, as setup_arg_pages leaves them).
    /// </summary>
    public static int ExecBegin(Kernel k, int cpu, ProcessImage image, IExitStrategy strategy)
    {
        k.Events.Add(cpu, EventKind.Exec);
        var mm = MmOps.CreateMm(k, cpu);
        if (strategy.PinAtAlloc)
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }

        var start = ProcessImage.StackTop - ((ulong)image.StackPages << 12);
        MmOps.MapAnonymous(k, mm, start, image.StackPages);
        return mm;
    }

    /// <summary>
    /// The faults of one PTE page's worth of the mm's VMAs from <paramref name="firstVma"/> on, slice
    /// <paramref name="index"/> (copy_strings → get_user_pages_remote for the stack, from the kernel; the new program's
    /// own faults for its regions, from user mode: <see cref="Hypervisor.UserFault"/>): each page a fault
    /// (do_anonymous_page, one direct mmu_update). False when there is no such slice.
    /// </summary>
    public static bool FaultSlice(Kernel k, int cpu, int mm, int firstVma, int index)
    {
        if (!ExitPath.SliceAt(k, mm, firstVma, index, out var va, out var end))
        {
            return false;
        }

        for (; va < end; va += 4096)
        {
            MmOps.FaultIn(k, cpu, mm, va, fromUser: firstVma > 0);
        }

        return true;
    }

    /// <summary>The number of <see cref="FaultSlice"/> steps over the mm's VMAs from <paramref name="firstVma"/> on.</summary>
    public static int FaultSlices(Kernel k, int mm, int firstVma) => ExitPath.SliceCount(k, mm, firstVma);

    /// <summary>exec_mmap → activate_mm → xen_activate_mm: the new mm pinned (xen_pgd_pin), unless pinned already.</summary>
    public static void ExecActivate(Kernel k, int cpu, int mm)
    {
        if (!k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    /// <summary>load_elf_binary's mappings of the new program's regions (elf_map, vm_brk): VMAs after the stack, no tables yet.</summary>
    public static void MapRegions(Kernel k, int mm, ProcessImage image)
    {
        foreach (var r in image.Regions)
        {
            MmOps.MapAnonymous(k, mm, r.Start, r.Pages, r.Writable);
        }
    }
}
