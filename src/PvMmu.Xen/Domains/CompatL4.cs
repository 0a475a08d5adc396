using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Domains;

/// <summary>
/// The per-vCPU L4 that Xen gives each vCPU of a 32-bit PV domain (setup_compat_l4, xen/arch/x86/pv/domain.c): a
/// page of Xen's, typed L4 and validated with a type count of 1 written directly (no reference is taken for it),
/// holding Xen's slots (init_xen_l4_slots) and nothing else; it is both guest_table and guest_table_user. The
/// guest's top-level L3 goes into its slot 0 through new_guest_cr3 (<see cref="Hypercalls.MmuExtOps.NewGuestCr3"/>),
/// which takes the L3's type reference as mod_l4_entry does.
/// </summary>
internal static class CompatL4
{
    /// <summary>The compat L4 of vCPU <paramref name="vcpu"/>: Xen frame 1 + <paramref name="vcpu"/> (frame 0 means "none").</summary>
    public static uint FrameOf(int vcpu) => 1 + (uint)vcpu;

    /// <summary>setup_compat_l4 for <paramref name="vcpu"/>.</summary>
    public static void Setup(Hypervisor h, int vcpu)
    {
        var mfn = FrameOf(vcpu);
        if (!h.Frames.IsValid(mfn) || h.Frames.Owner[mfn] != DomainTable.Xen)
        {
            throw new ArgumentException($"a 32-bit PV domain needs a Xen frame for each vCPU's compat L4: XenFrames must exceed Vcpus ({h.Config.Vcpus})");
        }

        // clear_page + init_xen_l4_slots: of Xen's slots the model keeps only the self-linear one, as for a
        // guest L4 (Validation.PromoteUpper).
        h.WriteContents(mfn, Validation.LinearPtL4Slot, PageFlags.Entry(mfn, PageFlags.HypervisorRw));
        h.Frames.Type[mfn] = PageType.L4;
        h.Frames.TypeCount[mfn] = 1;
        h.Frames.Set(mfn, FrameFlags.Validated);
        h.Vcpus.GuestTable[vcpu] = mfn;
        h.Vcpus.GuestTableUser[vcpu] = mfn;
    }

    /// <summary>Whether <paramref name="mfn"/> is one of the compat L4s of <paramref name="h"/>'s vCPUs.</summary>
    public static bool Is(Hypervisor h, uint mfn) => h.Config.Pv32 && mfn >= 1 && mfn <= (uint)h.Config.Vcpus;
}
