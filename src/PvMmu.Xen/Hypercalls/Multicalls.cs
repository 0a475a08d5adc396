using PvMmu.Events;
using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Hypercalls;

/// <summary>
/// HYPERVISOR_multicall (xen/common/multicall.c, do_multicall): each entry runs through the ordinary hypercall
/// handlers and its return value is stored in the entry; a failing entry does not stop the batch and the
/// multicall itself returns 0. An iret ends the batch (XSA-213). Nesting is refused.
/// </summary>
internal static class Multicalls
{
    public static long Hypercall(Hypervisor h, Span<MulticallEntry> entries, ReadOnlySpan<MmuUpdateRequest> mmuArgs, ReadOnlySpan<MmuExtOpRequest> extArgs, ulong listHandle, int copyable)
    {
        h.Events.Add(EventKind.Hypercall);
        if (entries.Length > 0 && !GuestHandles.CanCopy(listHandle, (ulong)entries.Length * 64))
        {
            h.Events.Add(EventKind.HypercallError);
            return -Errno.EFAULT;
        }

        for (var i = 0; i < entries.Length; i++)
        {
            // __copy_from_guest of one entry: past the readable part the multicall stops with -EFAULT, the
            // entries before it run and their results written back, the rest never run.
            if (i >= copyable)
            {
                h.Events.Add(EventKind.HypercallError);
                return -Errno.EFAULT;
            }

            h.Events.Add(EventKind.MulticallEntry);
            ref var e = ref entries[i];
            e.Result = Dispatch(h, ref e, mmuArgs, extArgs);
            if (e.Result < 0)
            {
                h.Events.Add(EventKind.HypercallError);
            }

            if (e.Op == HypercallNumber.Iret && h.Rules.IretEndsMulticall)
            {
                // mc_exit: the iret's result is the multicall's.
                return e.Result;
            }
        }

        return 0;
    }

    /// <summary>pv_do_multicall_call: one entry, through the same handler as the hypercall.</summary>
    private static long Dispatch(Hypervisor h, ref MulticallEntry e, ReadOnlySpan<MmuUpdateRequest> mmuArgs, ReadOnlySpan<MmuExtOpRequest> extArgs)
    {
        switch (e.Op)
        {
            case HypercallNumber.MmuUpdate:
            {
                if (!Slice(mmuArgs.Length, e.Arg0, Count(e.Arg1), out var first, out var count))
                {
                    return -Errno.EFAULT;
                }

                // do_mmu_update(ureqs, unsigned int count, pdone, unsigned int foreigndom): the handler's
                // parameters take the low 32 bits of each argument word.
                return MmuUpdates.Run(h, mmuArgs.Slice(first, count), out _, (uint)e.Arg3, GuestHandles.Valid);
            }

            case HypercallNumber.MmuextOp:
            {
                if (!Slice(extArgs.Length, e.Arg0, Count(e.Arg1), out var first, out var count))
                {
                    return -Errno.EFAULT;
                }
                return MmuExtOps.Run(h, extArgs.Slice(first, count), out _, (uint)e.Arg3, GuestHandles.Valid);
            }

            case HypercallNumber.UpdateVaMapping:
                h.Events.Add(EventKind.UpdateVaMapping);
                return UpdateVaMappings.Update(h, e.Arg0, e.Arg1, e.Arg2, e.Arg3, DomainIds.Self);
            case HypercallNumber.Iret:
                return VcpuOps.ToUserMode(h);
            case HypercallNumber.XenVersion:
                // XENVER_version: (major << 16) | minor.
                return h.Rules.Version == XenVersion.Xen48 ? (4L << 16) | 8 : (4L << 16) | 17;
            case HypercallNumber.Multicall:
                // Re-entry is refused.
                return -Errno.EINVAL;
            default:
                return -Errno.ENOSYS;
        }
    }

    /// <summary>MMU_UPDATE_PREEMPTED (public/xen.h): the continuation mark in a batch's count.</summary>
    public const uint MmuUpdatePreempted = 1U << 31;

    /// <summary>
    /// A batch's count as do_mmu_update and do_mmuext_op read it: an unsigned int, the continuation mark cleared
    /// (a count carrying it is taken as a resumed call whose *pdone, from a null pdone, stays 0).
    /// </summary>
    private static ulong Count(ulong arg) => (uint)arg & ~MmuUpdatePreempted;

    private static bool Slice(int available, ulong first, ulong count, out int start, out int length)
    {
        start = (int)Math.Min(first, int.MaxValue);
        length = (int)Math.Min(count, int.MaxValue);
        return first <= (ulong)available && count <= (ulong)available - first;
    }
}
