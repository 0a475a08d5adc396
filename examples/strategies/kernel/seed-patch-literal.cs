// The seed thread's patch carried to Linux 6.1 literally (validation/real-xen/kernel/no-exit-mmap-literal.patch):
// xen_exit_mmap, xen_drop_mm_ref and drop_mm_ref_this_cpu deleted together with the `.exit_mmap = xen_exit_mmap`
// initialiser (and xen_pgd_unpin, left without a caller, which 6.1's -Werror refuses). On the real 6.1 kernel this
// does not boot: xen_init_mmu_ops copies the whole xen_mmu_ops.mmu over pv_ops.mmu, so the deleted initialiser
// leaves pv_ops.mmu.exit_mmap NULL, 6.1 patches a NULL pvop into a call of paravirt_BUG, and the first exit_mmap
// (init's first exec) dies: "kernel BUG at arch/x86/kernel/paravirt.c:71!" in exit_mmap
// (validation/real-xen/captures/linux-6.1-no-exit-mmap-literal.console.log.gz). The model cannot derive a crash
// from a C initialiser; this file records it, so the model agrees with the real kernel (a finding, exit 2):
//     pvmmu run --strategy-file examples/strategies/kernel/seed-patch-literal.cs --workload fork-exit   (exit 2)

using System;
using PvMmu.Linux;
using PvMmu.Linux.Exit;

public sealed class SeedPatchLiteral : IExitStrategy
{
    public string Name => "SeedPatchLiteral";

    // arch_exit_mmap → paravirt_arch_exit_mmap → PVOP_VCALL1(mmu.exit_mmap): NULL, patched to paravirt_BUG
    public void DropLocal(Kernel k, int cpu, int mm)
    {
        throw new InvalidOperationException("kernel BUG at arch/x86/kernel/paravirt.c:71! (pv_ops.mmu.exit_mmap is NULL)");
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
