using PvMmu.Xen;
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

    /// <summary>
    /// A hash of CPU <paramref name="cpu"/>'s own state, guest and hypervisor, that holds no CPU id (a renaming carries
    /// it along; see <see cref="Hypervisor.VcpuSignature"/>): its per-CPU values, the mms whose cpumask holds it, what
    /// its multicall buffer holds queued, and its vCPU's.
    /// </summary>
    public ulong CpuSignature(int cpu)
    {
        var h = Hypervisor.Mix(Xen.VcpuSignature(cpu), XenCr3[cpu]);
        h = Hypervisor.Mix(h, XenCurrentCr3[cpu]);
        h = Hypervisor.Mix(h, (ulong)Lazy[cpu] | (InInterrupt[cpu] ? 16UL : 0) | (IsLazyTlb[cpu] ? 32UL : 0));
        h = Hypervisor.Mix(h, (ulong)(uint)LoadedMm[cpu]);
        for (var mm = 0; mm < Mms.HighWater; mm++)
        {
            if ((Mms.CpuMask[mm] & (1UL << cpu)) != 0)
            {
                h = Hypervisor.Mix(h, (ulong)mm + 1);
            }
        }

        return Hypervisor.Mix(h, (ulong)(uint)Mc.Pending(cpu) | ((ulong)(uint)Mc.ArgBytes(cpu) << 32));
    }
}
