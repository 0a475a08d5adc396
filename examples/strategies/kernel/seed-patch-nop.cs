// The seed thread's patch on Linux 6.1 with what 6.1 needs to boot (validation/real-xen/kernel/no-exit-mmap.patch):
// xen_exit_mmap and its helpers deleted and the hook set to paravirt_nop, so nothing happens at exit, and nothing
// unpins the pgd later either: xen_pgd_free (pgd_free's pvop) only frees the user pgd. The model finds the pgd's
// frames freed by the guest while Xen still holds them pinned as L4 (invariant G2) at the first exit:
//     pvmmu run --strategy-file examples/strategies/kernel/seed-patch-nop.cs --workload fork-exit --vcpus 1   (exit 2)
// The same kernel, built and booted under Xen 4.17: see validation/real-xen/README.md, "The seed's patch on a real
// kernel".

using PvMmu.Linux;
using PvMmu.Linux.Exit;

public sealed class SeedPatchNop : IExitStrategy
{
    public string Name => "SeedPatchNop";

    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
