using PvMmu.Events;
using PvMmu.Xen.Types;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// The hypercall entry and hypercall_create_continuation as the batched hypercalls use them (do_mmu_update,
/// do_mmuext_op): a leg that stopped with -ERESTART, or left a put deferred in old_guest_table, returns to the
/// guest, which re-executes the SYSCALL; the new entry's prologue does the deferred put (put_old_guest_table).
/// </summary>
internal static class Continuations
{
    /// <summary>Counts one guest entry into Xen around <paramref name="rc"/>, and the error if there is one.</summary>
    public static long Counted(Hypervisor h, long rc)
    {
        h.Events.Add(EventKind.Hypercall);
        if (rc != 0)
        {
            h.Events.Add(EventKind.HypercallError);
        }

        return rc;
    }

    /// <summary>
    /// At the end of a leg: true when the hypercall continues with another leg (-ERESTART, rc reset to 0). A leg
    /// that ended with only a deferred put re-enters once in the "final value" form, which returns rc.
    /// </summary>
    public static bool NextLeg(Hypervisor h, int vcpu, ref long rc)
    {
        if (rc != -Abi.Errno.ERestart && h.Vcpus.OldGuestTable[vcpu] == 0)
        {
            return false;
        }

        h.Events.Add(EventKind.Continuation);
        h.Events.Add(EventKind.Hypercall);
        PageTableEntries.PutOldGuestTable(h, vcpu);
        if (rc != -Abi.Errno.ERestart)
        {
            return false;
        }

        rc = 0;
        return true;
    }
}
