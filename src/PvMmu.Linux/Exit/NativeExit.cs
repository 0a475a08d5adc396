namespace PvMmu.Linux.Exit;

/// <summary>
/// The exit path of a native kernel (<see cref="Boot.Platform.Native"/>): arch_exit_mmap's
/// paravirt_arch_exit_mmap is paravirt_nop (pv_ops.mmu.exit_mmap has no xen_exit_mmap), so nothing is dropped,
/// no IPI is sent and nothing is unpinned (nothing was pinned); pgd_free has no xen_pgd_free. Not one of
/// <see cref="ExitStrategies.All"/>: the exit strategies are Xen's, and a native run takes this one whatever is asked.
/// </summary>
public sealed class NativeExit : IExitStrategy
{
    public string Name => "native";

    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }
}
