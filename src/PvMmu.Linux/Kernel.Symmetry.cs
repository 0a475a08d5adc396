using PvMmu.Xen.Symmetry;

namespace PvMmu.Linux;

public sealed partial class Kernel
{
    /// <summary>
    /// Renames the CPUs of the whole guest and hypervisor state by <paramref name="p"/>, for symmetry reduction: the
    /// per-CPU arrays (xen_cr3, xen_current_cr3, the lazy mode, in_interrupt, cpu_tlbstate's loaded_mm and is_lazy),
    /// every mm_cpumask, the per-CPU multicall buffers, and the hypervisor's per-vCPU state. The per-frame state holds
    /// no CPU id and is left as it is.
    /// </summary>
    public void PermuteCpus(VcpuPermutation p)
    {
        p.Blocks(XenCr3);
        p.Blocks(XenCurrentCr3);
        p.Blocks(Lazy);
        p.Blocks(InInterrupt);
        p.Blocks(LoadedMm);
        p.Blocks(IsLazyTlb);
        p.Masks(Mms.CpuMask);
        Mc.PermuteCpus(p);
        Xen.PermuteVcpus(p);
    }
}
