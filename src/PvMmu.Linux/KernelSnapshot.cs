using PvMmu.Xen;

namespace PvMmu.Linux;

/// <summary>A saved copy of a <see cref="Kernel"/>'s state and of its hypervisor's.</summary>
public sealed class KernelSnapshot
{
    internal KernelSnapshot(Kernel guest, HypervisorSnapshot xen)
    {
        Guest = guest;
        Xen = xen;
    }

    internal Kernel Guest { get; }

    internal HypervisorSnapshot Xen { get; }
}
