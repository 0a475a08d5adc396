namespace PvMmu.Linux.Exit;

/// <summary>Deliberately broken: xen_exit_mmap without xen_drop_mm_ref. The unpin meets CPUs that still hold the pgd.</summary>
public sealed class BrokenNoDropMmRef : IExitStrategy
{
    public string Name => "BrokenNoDropMmRef";

    public void DropLocal(Kernel k, int cpu, int mm)
    {
    }

    public void AfterIpis(Kernel k, int cpu, int mm) => Linux61.UnpinIfPinned(k, cpu, mm);
}
