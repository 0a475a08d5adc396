using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
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
    /// </summary>
    public static int Fork(Kernel k, int cpu, int parent, IExitStrategy strategy)
    {
        k.Events.Add(cpu, EventKind.Fork);
        var child = MmOps.CreateMm(k, cpu);
        if (strategy.PinAtAlloc)
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[child]);
        }

        var ppgd = k.Mms.Pgd[parent];
        for (var v = 0; v < k.Mms.VmaCount[parent]; v++)
        {
            var i = (parent * MmTable.MaxVmas) + v;
            var start = k.Mms.VmaStart[i];
            var end = k.Mms.VmaEnd[i];
            MmOps.MapAnonymous(k, child, start, (int)((end - start) >> 12));

            // vma_needs_copy: a file VMA with no anon_vma (the model's are never written privately) is not copied;
            // the child faults its pages in from the page cache.
            k.Mms.VmaFile[(child * MmTable.MaxVmas) + k.Mms.VmaCount[child] - 1] = k.Mms.VmaFile[i];
            if (k.Mms.VmaFile[i] != 0)
            {
                continue;
            }

            var va = start;
            while (va < end)
            {
                var sliceEnd = Math.Min(end, (va | 0x1F_FFFFUL) + 1);
                var src = MmOps.FindPteTable(k, cpu, ppgd, va);
                if (src != 0)
                {
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

                    k.Mc.Flush(cpu);
                    k.Lazy[cpu] = LazyMode.None;
                }

                va = sliceEnd;
            }
        }

        // arch_dup_mmap → xen_dup_mmap (xen_enter_mmap since 6.4): pin the child under page_table_lock.
        if (!k.Pinned(k.Mms.Pgd[child]))
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[child]);
        }

        // flush_tlb_mm(oldmm): the parent's write-protects must reach every CPU that may cache them.
        FlushTlbMm(k, cpu, parent);
        return child;
    }

    /// <summary>
    /// flush_tlb_mm (6.x before 6.14): other CPUs in mm_cpumask → flush_tlb_multi (one TLB_FLUSH_MULTI); only this
    /// CPU → xen_flush_tlb (TLB_FLUSH_LOCAL); both issued at once outside lazy MMU mode.
    /// </summary>
    public static void FlushTlbMm(Kernel k, int cpu, int mm)
    {
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
    /// </summary>
    public static int Exec(Kernel k, int cpu, int old, ProcessImage image, IExitStrategy strategy)
    {
        k.Events.Add(cpu, EventKind.Exec);
        var mm = MmOps.CreateMm(k, cpu);
        if (strategy.PinAtAlloc)
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }

        var start = ProcessImage.StackTop - ((ulong)image.StackPages << 12);
        MmOps.MapAnonymous(k, mm, start, image.StackPages);
        MmOps.TouchAll(k, cpu, mm);
        if (!k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }

        MmOps.SwitchMm(k, cpu, mm);
        if (--k.Mms.Users[old] == 0)
        {
            ExitPath.ExitMmap(k, cpu, old, strategy);
            ExitPath.MmDrop(k, cpu, old, strategy);
        }

        foreach (var r in image.Regions)
        {
            MmOps.MapAnonymous(k, mm, r.Start, r.Pages);
            for (var p = 0; p < r.Pages; p++)
            {
                MmOps.FaultIn(k, cpu, mm, r.Start + ((ulong)p << 12));
            }
        }

        return mm;
    }
}
