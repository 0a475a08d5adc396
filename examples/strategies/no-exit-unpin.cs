// The seed thread's patch as a strategy file (Andy Lutomirski, LKML, April 2017, never merged): xen_exit_mmap is
// deleted, so mm teardown runs on pinned page tables, and the pgd is unpinned in xen_pgd_free instead.
// It counts exactly as the built-in NoExitUnpin:
//     pvmmu run --strategy-file examples/strategies/no-exit-unpin.cs --workload kbuild --json
//     pvmmu run --strategy NoExitUnpin --workload kbuild --json
// Cost (pvmmu compare --strategy-file examples/strategies/no-exit-unpin.cs --strategies Linux61 --workload lazy-exit):
// no IPI and no unpin batch at exit, but every present PTE clear traps to Xen and is emulated (1024 ptwr emulations
// for the 1024 pages of lazy-exit). Safe: pvmmu check --strategy-file examples/strategies/no-exit-unpin.cs exits 0.

using PvMmu.Linux;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Pvops;

public sealed class SeedNoExitUnpin : IExitStrategy
{
    public string Name => "SeedNoExitUnpin";

    // No xen_exit_mmap: nothing at exit, no IPI (Handler stays None, so IpiMask is never asked).
    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }

    // xen_pgd_free: the last reference is gone, nobody can have the pgd loaded; unpin before the pages are freed.
    public void PgdFree(Kernel k, int cpu, int mm)
    {
        var pgd = k.Mms.Pgd[mm];
        if (k.Pinned(pgd))
        {
            Pinning.PgdUnpin(k, cpu, pgd);
        }
    }
}
