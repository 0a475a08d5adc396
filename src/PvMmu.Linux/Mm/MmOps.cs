using PvMmu.Events;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Xen;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Mm;

/// <summary>
/// Address-space operations: pgd_alloc with xen_pgd_alloc (arch/x86/mm/pgtable.c, mmu_pv.c), anonymous mappings and
/// the fault path that populates them (mm/memory.c __handle_mm_fault → __pud_alloc/__pmd_alloc/__pte_alloc →
/// do_anonymous_page → set_pte_at), xen_write_cr3 and switch_mm.
/// </summary>
public static class MmOps
{
    /// <summary>
    /// mm_alloc + pgd_alloc: a pgd with init_mm's kernel half copied in (pgd_ctor), and its user pgd (xen_pgd_alloc;
    /// none on a native kernel, whose pgd_alloc without PTI allocates the one page).
    /// xen_pgd_alloc's BUG_ON(PagePinned(...)) and BUG_ON(page->private != 0) are not modeled: a deliberately broken
    /// exit strategy frees a still-pinned pgd, and the run must go on to report that as its finding (G2), which a BUG
    /// that stops the run would hide.
    /// </summary>
    public static int CreateMm(Kernel k, int cpu)
    {
        var mm = k.Mms.Allocate();
        var pgd = k.AllocPage(cpu);
        for (var slot = Layout.UserPgdSlots; slot < 512; slot++)
        {
            var e = k.ReadEntry(cpu, k.SwapperPgd, slot);
            if (e != 0)
            {
                k.Store(cpu, k.Va(pgd) + ((ulong)slot * 8), e);
            }
        }

        k.Mms.Pgd[mm] = pgd;
        if (k.Native)
        {
            // A native pgd_alloc (no PTI) has one pgd page: no user pgd, no vsyscall L3 of its own.
            return mm;
        }

        var user = k.AllocPage(cpu);
        k.Store(cpu, k.Va(user) + ((ulong)Layout.VsyscallPgdSlot * 8), PageFlags.Entry(k.VsyscallL3, PteFlags.PageTable));
        k.SetUserPgd(pgd, user);
        return mm;
    }

    /// <summary>An anonymous mapping [start, start + pages·4 KiB), as mmap(MAP_ANONYMOUS) makes one: a VMA, no tables yet.</summary>
    public static void MapAnonymous(Kernel k, int mm, ulong start, int pages) => MapAnonymous(k, mm, start, pages, writable: true);

    /// <summary>
    /// An anonymous mapping, writable or not (<see cref="MmTable.ReadOnlyAnonymous"/>): a VMA, no tables yet. A
    /// read-only one's pages are mapped without _PAGE_RW when first touched.
    /// </summary>
    public static void MapAnonymous(Kernel k, int mm, ulong start, int pages, bool writable)
    {
        var n = k.Mms.VmaCount[mm];
        if (n == MmTable.MaxVmas)
        {
            throw new InvalidOperationException($"mm {mm} has {n} VMAs already");
        }

        k.Mms.VmaStart[(mm * MmTable.MaxVmas) + n] = start;
        k.Mms.VmaEnd[(mm * MmTable.MaxVmas) + n] = start + ((ulong)pages << 12);
        k.Mms.VmaFile[(mm * MmTable.MaxVmas) + n] = writable ? 0 : MmTable.ReadOnlyAnonymous;
        k.Mms.VmaCount[mm] = n + 1;
    }

    /// <summary>
    /// A mapping of file <paramref name="file"/> from its first page at [start, start + pages·4 KiB), private and
    /// read-only or <paramref name="shared"/> (MAP_SHARED, writable), as mmap_region makes one: a VMA with its vm_file,
    /// no tables yet.
    /// </summary>
    public static void MapFile(Kernel k, int mm, ulong start, int pages, int file, bool shared)
    {
        MapAnonymous(k, mm, start, pages);
        k.Mms.VmaFile[(mm * MmTable.MaxVmas) + k.Mms.VmaCount[mm] - 1] = MmTable.FileWord(start, file, shared);
    }

    /// <summary>The VMA of <paramref name="mm"/> that holds <paramref name="va"/> (find_vma), as an index into the VMA arrays, or −1.</summary>
    public static int FindVma(Kernel k, int mm, ulong va)
    {
        for (var v = 0; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            if (va >= k.Mms.VmaStart[i] && va < k.Mms.VmaEnd[i])
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>fault_around_bytes (mm/memory.c): 64 KiB, so a read fault on a file maps up to 16 pages.</summary>
    public const int FaultAroundPages = 16;

    /// <summary>
    /// The process touches <paramref name="va"/> (handle_mm_fault → do_anonymous_page or do_fault, by the VMA): an
    /// anonymous page is written (<see cref="FaultIn(Kernel, int, int, ulong)"/>), a file page faulted in (<see cref="FileFault"/>).
    /// </summary>
    public static void Touch(Kernel k, int cpu, int mm, ulong va, PageCache files)
    {
        var v = FindVma(k, mm, va);
        if (v < 0 || !MmTable.IsFile(k.Mms.VmaFile[v]))
        {
            FaultIn(k, cpu, mm, va);
            return;
        }

        FileFault(k, cpu, mm, v, va, files);
    }

    /// <summary>
    /// do_fault on a file VMA (mm/memory.c), the PTE page allocated first if missing (pmd_install of the preallocated
    /// pte): a shared mapping takes a write fault (do_shared_fault: filemap_fault finds the cached page, finish_fault →
    /// do_set_pte, writable and dirty: one set_pte_at, a direct mmu_update); a private one is read (do_read_fault →
    /// do_fault_around → filemap_map_pages: every page of the fault-around window whose PTE is none is mapped
    /// read-only, one set_pte_at each outside lazy MMU mode, so one direct mmu_update each). Each page mapped takes a
    /// reference. Nothing when the page is present already.
    /// </summary>
    public static void FileFault(Kernel k, int cpu, int mm, int vma, ulong va, PageCache files)
    {
        var pte = PteTableFor(k, cpu, mm, va);
        if (PageFlags.IsPresent(k.ReadEntry(cpu, pte, Layout.PteIndex(va))))
        {
            return;
        }

        CountFault(k, cpu, fromUser: true);
        var word = k.Mms.VmaFile[vma];
        var file = MmTable.FileOf(word);
        if (MmTable.IsShared(word))
        {
            var page = files.Frame(file, MmTable.FilePage(word, va));
            k.GetDataPage(page);
            PtSetters.SetPte(k, cpu, pte, Layout.PteIndex(va), PageFlags.Entry(page, PteFlags.UserRw));
            return;
        }

        var (from, to) = FaultAroundWindow(va, k.Mms.VmaStart[vma], k.Mms.VmaEnd[vma]);
        for (var a = from; a < to; a += 4096)
        {
            var slot = Layout.PteIndex(a);
            var filePage = MmTable.FilePage(word, a);
            if (filePage >= files.Pages(file) || k.ReadEntry(cpu, pte, slot) != 0)
            {
                continue;
            }

            var page = files.Frame(file, filePage);
            k.GetDataPage(page);
            PtSetters.SetPte(k, cpu, pte, slot, PageFlags.Entry(page, PteFlags.UserRo));
        }
    }

    /// <summary>
    /// do_fault_around's window for a fault at <paramref name="va"/>: from va rounded down to fault_around_bytes (not
    /// below the VMA's start) to the nearest of the end of that PTE page, the end of the VMA, and 16 pages on.
    /// </summary>
    public static (ulong From, ulong To) FaultAroundWindow(ulong va, ulong vmStart, ulong vmEnd)
    {
        const ulong window = FaultAroundPages * 4096UL;
        var from = Math.Max(va & ~(window - 1), vmStart);
        var to = Math.Min(Math.Min((from | 0x1F_FFFFUL) + 1, vmEnd), from + window);
        return (from, to);
    }

    /// <summary>
    /// A fault on an anonymous page (outside lazy MMU mode): missing tables are allocated and hooked in (alloc hook
    /// first, then the parent entry), then a fresh page is mapped with set_pte_at — one mmu_update hypercall, pinned
    /// or not — writable unless the VMA is read-only (<see cref="MmTable.ReadOnlyAnonymous"/>: a text page, read).
    /// Returns the data page.
    /// </summary>
    public static uint FaultIn(Kernel k, int cpu, int mm, ulong va) => FaultIn(k, cpu, mm, va, fromUser: true);

    /// <summary>
    /// <see cref="FaultIn(Kernel, int, int, ulong)"/>, from user mode (the program's own access: the fault's round trip
    /// through Xen, <see cref="Hypervisor.UserFault"/>) or from the kernel (exec's copy_strings →
    /// get_user_pages_remote: handle_mm_fault called directly, no trap).
    /// </summary>
    public static uint FaultIn(Kernel k, int cpu, int mm, ulong va, bool fromUser)
    {
        var pte = PteTableFor(k, cpu, mm, va);
        var slot = Layout.PteIndex(va);
        var old = k.ReadEntry(cpu, pte, slot);
        if (PageFlags.IsPresent(old))
        {
            return PageFlags.Mfn(old);
        }

        CountFault(k, cpu, fromUser);

        var page = k.AllocPage(cpu);
        var v = FindVma(k, mm, va);
        var flags = v >= 0 && k.Mms.VmaFile[v] == MmTable.ReadOnlyAnonymous ? PteFlags.UserRo : PteFlags.UserRw;
        PtSetters.SetPte(k, cpu, pte, slot, PageFlags.Entry(page, flags));
        return page;
    }

    /// <summary>
    /// A fault the guest handles: counted, and from user mode its x86-64 PV round trip through Xen
    /// (<see cref="Hypervisor.UserFault"/>); a fault the kernel takes itself (get_user_pages) has none.
    /// </summary>
    private static void CountFault(Kernel k, int cpu, bool fromUser)
    {
        k.Events.Add(cpu, EventKind.PageFault);
        if (fromUser)
        {
            k.Xen.UserFault(cpu);
        }
    }

    /// <summary>
    /// A write fault on a present, write-protected anonymous page (mm/memory.c do_wp_page): a page still shared
    /// after fork is copied (wp_page_copy: a new page, ptep_clear_flush — a native get-and-clear, trapped on a pinned
    /// L1, and flush_tlb_page for this one address — then set_pte_at of the new page, one direct mmu_update, and the
    /// old page's reference dropped); a page no longer shared is reused (ptep_set_access_flags: set_pte with RW).
    /// </summary>
    public static void WriteFault(Kernel k, int cpu, int mm, ulong va)
    {
        var pte = FindPteTable(k, cpu, k.Mms.Pgd[mm], va);
        var slot = Layout.PteIndex(va);
        var old = pte == 0 ? 0 : k.ReadEntry(cpu, pte, slot);
        if (!PageFlags.IsPresent(old))
        {
            FaultIn(k, cpu, mm, va);
            return;
        }

        if ((old & PageFlags.Rw) != 0)
        {
            return;
        }

        CountFault(k, cpu, fromUser: true);
        var oldPage = PageFlags.Mfn(old);
        if (k.PageRef(oldPage) == 1)
        {
            PtSetters.SetPte(k, cpu, pte, slot, old | PageFlags.Rw);
            return;
        }

        var copy = k.AllocPage(cpu);
        k.Xchg(cpu, k.Va(pte) + ((ulong)slot * 8), 0);
        Munmap.FlushTlbRange(k, cpu, mm, va, va + 4096);
        PtSetters.SetPte(k, cpu, pte, slot, PageFlags.Entry(copy, PteFlags.UserRw));
        k.PutDataPage(oldPage);
    }

    /// <summary>The PTE page that maps <paramref name="va"/> under <paramref name="pgd"/>, or 0 if the walk finds none.</summary>
    public static uint FindPteTable(Kernel k, int cpu, uint pgd, ulong va)
    {
        var e = k.ReadEntry(cpu, pgd, Layout.PgdIndex(va));
        if (!PageFlags.IsPresent(e))
        {
            return 0;
        }

        e = k.ReadEntry(cpu, PageFlags.Mfn(e), Layout.PudIndex(va));
        if (!PageFlags.IsPresent(e))
        {
            return 0;
        }

        e = k.ReadEntry(cpu, PageFlags.Mfn(e), Layout.PmdIndex(va));
        return PageFlags.IsPresent(e) ? PageFlags.Mfn(e) : 0;
    }

    /// <summary>The PTE page for <paramref name="va"/> in <paramref name="mm"/>, allocating the path to it (pte_alloc and above).</summary>
    public static uint PteTableFor(Kernel k, int cpu, int mm, ulong va)
    {
        var pud = Child(k, cpu, mm, k.Mms.Pgd[mm], Layout.PgdIndex(va), PtLevel.Pud);
        var pmd = Child(k, cpu, mm, pud, Layout.PudIndex(va), PtLevel.Pmd);
        return Child(k, cpu, mm, pmd, Layout.PmdIndex(va), PtLevel.Pte);
    }

    /// <summary>The table below entry <paramref name="slot"/> of <paramref name="table"/>, allocated and hooked in if missing (p4d/pud/pmd_populate).</summary>
    private static uint Child(Kernel k, int cpu, int mm, uint table, int slot, PtLevel level)
    {
        var e = k.ReadEntry(cpu, table, slot);
        if (PageFlags.IsPresent(e))
        {
            return PageFlags.Mfn(e);
        }

        var page = k.AllocPage(cpu);
        var pgd = k.Mms.Pgd[mm];
        PtSetters.AllocPtpage(k, cpu, pgd, page, level);
        var entry = PageFlags.Entry(page, PteFlags.PageTable);
        if (level == PtLevel.Pud)
        {
            PtSetters.SetP4d(k, cpu, table, slot, entry);
        }
        else
        {
            PtSetters.SetUpper(k, cpu, table, slot, entry, level == PtLevel.Pmd ? PtLevel.Pud : PtLevel.Pmd);
        }

        return page;
    }

    /// <summary>Faults in every page of the mm's VMAs (a process touching all of its memory).</summary>
    public static void TouchAll(Kernel k, int cpu, int mm)
    {
        for (var v = 0; v < k.Mms.VmaCount[mm]; v++)
        {
            var i = (mm * MmTable.MaxVmas) + v;
            for (var va = k.Mms.VmaStart[i]; va < k.Mms.VmaEnd[i]; va += 4096)
            {
                FaultIn(k, cpu, mm, va);
            }
        }
    }

    /// <summary>
    /// xen_write_cr3 (native_write_cr3 on a native kernel): one mmuext entry {NEW_BASEPTR pgd, NEW_USER_BASEPTR user pgd or 0}; xen_cr3 now,
    /// xen_current_cr3 in the flush callback; deferred in lazy CPU mode.
    /// </summary>
    public static void WriteCr3(Kernel k, int cpu, uint pgd)
    {
        if (k.Native)
        {
            // native_write_cr3: the CPU loads it at once (the xen_cr3 fields then just name the CR3).
            k.XenCr3[cpu] = pgd;
            k.XenCurrentCr3[cpu] = pgd;
            k.Xen.BareLoadCr3(cpu, pgd);
            return;
        }

        var user = pgd == k.SwapperPgd ? 0 : k.UserPgd(pgd);
        k.XenCr3[cpu] = pgd;

        // __xen_write_cr3 runs (and traces) twice: the kernel pgd, then the user pgd (or 0).
        k.Events.Add(cpu, EventKind.WriteCr3);
        k.Events.Add(cpu, EventKind.WriteCr3);
        k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.NewBaseptr(pgd));
        k.Mc.Callback(cpu, CallbackKind.SetCurrentCr3, pgd);
        k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.NewUserBaseptr(user));
        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.Cpu);
    }

    /// <summary>switch_mm_irqs_off (6.x before the lazy cpumask trimming of 6.14): load next's pgd, move the cpumask bit.</summary>
    public static void SwitchMm(Kernel k, int cpu, int next)
    {
        k.IsLazyTlb[cpu] = false;
        var prev = k.LoadedMm[cpu];
        if (prev == next)
        {
            return;
        }

        k.LoadedMm[cpu] = next;
        k.Mms.CpuMask[next] |= 1UL << cpu;
        WriteCr3(k, cpu, k.Mms.Pgd[next]);
        k.Mms.CpuMask[prev] &= ~(1UL << cpu);
    }

    /// <summary>
    /// enter_lazy_tlb: a kernel thread (or an exiting task) keeps the loaded mm; with 4.14-rc1's rules the CPU also
    /// leaves mm_cpumask.
    /// </summary>
    public static void EnterLazyTlb(Kernel k, int cpu, bool leavesCpumask)
    {
        k.IsLazyTlb[cpu] = true;
        if (leavesCpumask)
        {
            k.Mms.CpuMask[k.LoadedMm[cpu]] &= ~(1UL << cpu);
        }
    }

    /// <summary>leave_mm: switch to init_mm (unless already there).</summary>
    public static void LeaveMm(Kernel k, int cpu)
    {
        if (k.LoadedMm[cpu] != 0)
        {
            SwitchMm(k, cpu, 0);
        }
    }
}
