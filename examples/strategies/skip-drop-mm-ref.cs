// Deliberately broken: Linux 6.1's xen_exit_mmap without xen_drop_mm_ref. The unpin then runs while another vCPU
// (a kernel thread that borrowed the mm lazily) still has the pgd as its CR3: Xen refuses the unpin of a table in
// use (-EBUSY, a WARN in xen_mc_flush), and the teardown's stores fault on tables the guest believes are writable.
//     pvmmu check --strategy-file examples/strategies/skip-drop-mm-ref.cs --scenario lazy-exit    (exit 2, replays)
//     pvmmu --strategy-file examples/strategies/skip-drop-mm-ref.cs                                (exit 2)

using PvMmu.Linux;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Pvops;

public sealed class SkipDropMmRef : IExitStrategy
{
    public string Name => "SkipDropMmRef";

    // The bug: no leave_mm here, and no IPI to the CPUs whose xen_current_cr3 is the pgd (Handler stays None).
    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    // The unpin under page_table_lock, as 6.1 has it.
    public void AfterIpis(Kernel k, int cpu, int mm)
    {
        var pgd = k.Mms.Pgd[mm];
        if (k.Pinned(pgd))
        {
            Pinning.PgdUnpin(k, cpu, pgd);
        }
    }
}
