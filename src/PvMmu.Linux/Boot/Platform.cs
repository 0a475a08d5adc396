namespace PvMmu.Linux.Boot;

/// <summary>What the guest kernel runs on: the pv_ops it boots with.</summary>
public enum Platform
{
    /// <summary>A 64-bit Xen PV guest: xen_init_mmu_ops' pv_ops (arch/x86/xen/mmu_pv.c), every table write and CR3 load through Xen.</summary>
    XenPv,

    /// <summary>
    /// Bare hardware: the native pv_ops (native_set_pte, native_write_cr3, native_flush_tlb_*), no pinning, no
    /// multicalls, no hypercalls; the hardware model runs without its hypervisor (HypervisorConfig.BareMetal).
    /// </summary>
    Native,
}
