using PvMmu.Events;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Pvops;

/// <summary>
/// Pinning and unpinning an mm's page tables (mmu_pv.c: __xen_pgd_walk, xen_pin_page, __xen_pgd_pin,
/// xen_unpin_page, __xen_pgd_unpin). Pinning remaps every user table page read-only, pins each L1 under its
/// split lock, then pins the kernel and user pgds: T3 + T2 + 2·T1 + 4 entries. Unpinning is the converse with the
/// pgd unpins first: T3 + T2 + 2·T1 + 3 entries. Both are always flushed at the end (xen_mc_issue(0)).
/// </summary>
public static class Pinning
{
    /// <summary>__xen_pgd_walk(mm, pgd, func, USER_LIMIT): the user half depth-first, PUD before its PMDs before their PTE pages, the pgd last.</summary>
    private static void Walk(Kernel k, int cpu, uint pgd, bool pin)
    {
        for (var i = k.NextUsed(pgd, 0, Layout.UserPgdSlots); i >= 0; i = k.NextUsed(pgd, i + 1, Layout.UserPgdSlots))
        {
            var pgde = k.ReadEntry(cpu, pgd, i);
            if (!PageFlags.IsPresent(pgde))
            {
                continue;
            }

            var pud = PageFlags.Mfn(pgde);
            Page(k, cpu, pud, PtLevel.Pud, pin);
            for (var j = k.NextUsed(pud, 0, 512); j >= 0; j = k.NextUsed(pud, j + 1, 512))
            {
                var pude = k.ReadEntry(cpu, pud, j);
                if (!PageFlags.IsPresent(pude))
                {
                    continue;
                }

                var pmd = PageFlags.Mfn(pude);
                Page(k, cpu, pmd, PtLevel.Pmd, pin);
                for (var m = k.NextUsed(pmd, 0, 512); m >= 0; m = k.NextUsed(pmd, m + 1, 512))
                {
                    var pmde = k.ReadEntry(cpu, pmd, m);
                    if (PageFlags.IsPresent(pmde))
                    {
                        Page(k, cpu, PageFlags.Mfn(pmde), PtLevel.Pte, pin);
                    }
                }
            }
        }

        Page(k, cpu, pgd, PtLevel.Pgd, pin);
    }

    private static void Page(Kernel k, int cpu, uint page, PtLevel level, bool pin)
    {
        if (pin)
        {
            PinPage(k, cpu, page, level);
        }
        else
        {
            UnpinPage(k, cpu, page, level);
        }
    }

    /// <summary>xen_pin_page: unless already pinned, remap read-only (flushing the TLB for the pgd) and pin an L1 under its lock.</summary>
    public static void PinPage(Kernel k, int cpu, uint page, PtLevel level)
    {
        if (k.Pinned(page))
        {
            return;
        }

        k.SetPinned(page, true);
        var locked = level == PtLevel.Pte && k.Config.SplitPteLocks;
        if (locked)
        {
            k.SetPteLocked(page, true);
        }

        k.Mc.UpdateVaMapping(cpu, k.Va(page), PageFlags.Entry(page, PteFlags.PageKernelRo), level == PtLevel.Pgd ? UvmFlags.TlbFlush : 0);
        if (locked)
        {
            k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Pin(1, page));
            k.Mc.Callback(cpu, CallbackKind.PteUnlock, page);
        }
    }

    /// <summary>xen_unpin_page: if pinned, unpin an L1 under its lock and remap the page read-write.</summary>
    public static void UnpinPage(Kernel k, int cpu, uint page, PtLevel level)
    {
        if (!k.Pinned(page))
        {
            return;
        }

        k.SetPinned(page, false);
        var locked = level == PtLevel.Pte && k.Config.SplitPteLocks;
        if (locked)
        {
            k.SetPteLocked(page, true);
            k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Unpin(page));
        }

        k.Mc.UpdateVaMapping(cpu, k.Va(page), PageFlags.Entry(page, PteFlags.PageKernel), level == PtLevel.Pgd ? UvmFlags.TlbFlush : 0);
        if (locked)
        {
            k.Mc.Callback(cpu, CallbackKind.PteUnlock, page);
        }
    }

    /// <summary>
    /// __xen_pgd_pin / xen_pgd_pin. Every caller is one of Xen's pv_ops hooks (xen_activate_mm, xen_dup_mmap, the
    /// early pin of pgd_alloc), which a native kernel has as paravirt_nop: there it does nothing.
    /// </summary>
    public static void PgdPin(Kernel k, int cpu, uint pgd)
    {
        if (k.Native)
        {
            return;
        }

        k.Events.Add(cpu, EventKind.PgdPin);
        var user = k.UserPgd(pgd);
        Walk(k, cpu, pgd, pin: true);
        k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Pin(4, pgd));
        if (user != 0)
        {
            PinPage(k, cpu, user, PtLevel.Pgd);
            k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Pin(4, user));
        }

        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.None);
    }

    /// <summary>__xen_pgd_unpin / xen_pgd_unpin (from xen_exit_mmap, a paravirt_nop on a native kernel: nothing there).</summary>
    public static void PgdUnpin(Kernel k, int cpu, uint pgd)
    {
        if (k.Native)
        {
            return;
        }

        k.Events.Add(cpu, EventKind.PgdUnpin);
        var user = k.UserPgd(pgd);
        k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Unpin(pgd));
        if (user != 0)
        {
            k.Mc.ExtendMmuextOp(cpu, MmuExtOpRequest.Unpin(user));
            UnpinPage(k, cpu, user, PtLevel.Pgd);
        }

        Walk(k, cpu, pgd, pin: false);
        k.Mc.Issue(cpu, k.LazyNow(cpu), LazyMode.None);
    }
}
