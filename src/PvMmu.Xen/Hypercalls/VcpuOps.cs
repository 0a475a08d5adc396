using PvMmu.Events;
using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Domains;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// vCPU context: VCPUOP_initialise (arch_set_info_guest, xen/arch/x86/domain.c) and the guest's kernel/user switch
/// (toggle_guest_mode / _toggle_guest_pt, xen/arch/x86/pv/domain.c).
/// </summary>
internal static class VcpuOps
{
    public static long Initialise(Hypervisor h, int target, uint cr3, uint userCr3)
    {
        h.Events.Add(EventKind.Hypercall);
        if ((uint)target >= (uint)h.Vcpus.Count)
        {
            return Fail(h, -Errno.ENOENT);
        }

        if (target == h.CurrentVcpu || h.Vcpus.GuestTable[target] != 0 || h.Vcpus.GuestTableUser[target] != 0)
        {
            // v->is_initialised: the caller itself is running, and a vCPU with base pointers has a context.
            return Fail(h, -Errno.EEXIST);
        }

        var rc = PageTypes.GetPageAndTypeFromMfn(h, cr3, PageType.L4, DomainTable.Guest);
        if (rc != 0)
        {
            return Fail(h, rc);
        }

        if (userCr3 != 0)
        {
            rc = PageTypes.GetPageAndTypeFromMfn(h, userCr3, PageType.L4, DomainTable.Guest);
            if (rc != 0)
            {
                PageTypes.PutPageAndType(h, cr3);
                return Fail(h, rc);
            }
        }

        h.Vcpus.GuestTable[target] = cr3;
        h.Vcpus.GuestTableUser[target] = userCr3;
        h.Vcpus.KernelMode[target] = true;

        // The target loads its CR3 when it is next scheduled: a full flush on its CPU.
        TlbFlush.FlushCpu(h, target, FlushKind.All);

        return 0;
    }

    private static long Fail(Hypervisor h, long rc)
    {
        h.Events.Add(EventKind.HypercallError);
        return rc;
    }

    /// <summary>
    /// To guest user mode (iret): CR3 switches to guest_table_user. No references change, the clock does not
    /// tick, and global entries (the guest's user mappings) survive. With no user table the domain is crashed.
    /// </summary>
    public static long ToUserMode(Hypervisor h)
    {
        var v = h.CurrentVcpu;
        if (!h.Vcpus.KernelMode[v])
        {
            return 0;
        }

        if (h.Vcpus.GuestTableUser[v] == 0)
        {
            // "Guest switching to user mode with no user page tables".
            h.Domains.Crashed[DomainTable.Guest] = true;
            return 0;
        }

        h.Vcpus.KernelMode[v] = false;
        h.Tlb.FlushNonGlobal(v);
        h.Events.Add(EventKind.ModeSwitch);
        return 0;
    }

    /// <summary>From guest user mode to kernel mode (syscall, interrupt or exception entry).</summary>
    public static void ToKernelMode(Hypervisor h)
    {
        var v = h.CurrentVcpu;
        if (h.Vcpus.KernelMode[v])
        {
            return;
        }

        h.Vcpus.KernelMode[v] = true;
        h.Tlb.FlushNonGlobal(v);
        h.Events.Add(EventKind.ModeSwitch);
    }
}
