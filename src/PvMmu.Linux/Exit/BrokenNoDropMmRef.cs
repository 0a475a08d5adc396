using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Exit;

/// <summary>Deliberately broken: xen_exit_mmap without xen_drop_mm_ref. The unpin meets CPUs that still hold the pgd.</summary>
public sealed class BrokenNoDropMmRef : IExitStrategy
{
    public string Name => "BrokenNoDropMmRef";

    public void ArchExitMmap(Kernel k, int cpu, int mm)
    {
        if (k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdUnpin(k, cpu, k.Mms.Pgd[mm]);
        }
    }

    public void PgdFree(Kernel k, int cpu, int mm)
    {
    }
}
