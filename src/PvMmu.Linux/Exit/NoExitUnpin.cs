namespace PvMmu.Linux.Exit;

/// <summary>
/// The seed thread's patch (Andy Lutomirski, April 2017, never merged): xen_exit_mmap deleted, so the teardown
/// runs on pinned tables (every PTE clear traps and is emulated, every upper clear and table release is a
/// hypercall), and the pgds are unpinned in xen_pgd_free instead.
/// </summary>
public sealed class NoExitUnpin : IExitStrategy
{
    public string Name => "NoExitUnpin";

    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm)
    {
    }

    public void PgdFree(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
