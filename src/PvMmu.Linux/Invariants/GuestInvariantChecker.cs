using PvMmu.Xen.Abi;
using PvMmu.Xen.Frames;

namespace PvMmu.Linux.Invariants;

/// <summary>
/// The guest's invariants, checked between operations (when every CPU's multicall buffer is empty). A checker may
/// look at the hypervisor's state as Xen's debug keys would; the guest itself never does.
/// </summary>
public static class GuestInvariantChecker
{
    public static List<string> Check(Kernel k) => Check(k, NeverSwitching);

    private static readonly Func<int, bool> NeverSwitching = _ => false;

    /// <summary>
    /// The same, between scheduler moves: a CPU for which <paramref name="inContextSwitch"/> holds may have its CR3
    /// switch queued (its lazy CPU window), and its cpu_tlbstate already names the next mm.
    /// </summary>
    public static List<string> Check(Kernel k, Func<int, bool> inContextSwitch) => Check(k, inContextSwitch, frames: true, out _);

    /// <summary>
    /// The same, leaving out the per-frame rules (G2, G4, the split PTE locks) unless <paramref name="frames"/>:
    /// they read only what <see cref="Kernel.FramesFingerprint()"/> covers, so a search that has checked them clean
    /// on a state with that fingerprint need not check them again. <paramref name="framesClean"/> says whether they
    /// were checked and held.
    /// </summary>
    public static List<string> Check(Kernel k, Func<int, bool> inContextSwitch, bool frames, out bool framesClean)
    {
        ArgumentNullException.ThrowIfNull(k);
        Span<bool> switching = k.Cpus <= 256 ? stackalloc bool[k.Cpus] : new bool[k.Cpus];
        for (var cpu = 0; cpu < k.Cpus; cpu++)
        {
            switching[cpu] = inContextSwitch(cpu);
        }

        return Check(k, switching, frames, out framesClean);
    }

    /// <summary>
    /// The same with the CPUs in a context switch given as one flag per CPU (the scheduler's own array), not asked
    /// one by one through a delegate: the check runs after every move of a search.
    /// </summary>
    public static List<string> Check(Kernel k, ReadOnlySpan<bool> inContextSwitch, bool frames, out bool framesClean)
    {
        var errors = new List<string>();
        CheckInto(k, inContextSwitch, frames, errors, out framesClean);
        return errors;
    }

    /// <summary>
    /// The same, into <paramref name="errors"/> (emptied first), so that a search checking every state reuses one
    /// list instead of allocating one per state.
    /// </summary>
    public static void CheckInto(Kernel k, ReadOnlySpan<bool> inContextSwitch, bool frames, List<string> errors, out bool framesClean)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(errors);
        errors.Clear();
        CheckCpusAndWarnings(k, inContextSwitch, errors);
        framesClean = false;
        if (frames)
        {
            var before = errors.Count;
            CheckFrames(k, errors);
            framesClean = errors.Count == before;
        }

        CheckMms(k, errors);
    }

    private static void CheckFrames(Kernel k, List<string> errors)
    {

        // The per-frame rules of CheckFull, without its allocations: the free list as a bitmap on the stack, the
        // base pointers read once, a frame's type read only when it is free, and the direct map walked once per L1
        // table instead of once per frame.
        var n = k.FrameCount;
        Span<ulong> isFree = n <= 64 * 256 ? stackalloc ulong[(n + 63) / 64] : new ulong[(n + 63) / 64];
        isFree.Clear();
        foreach (var f in k.FreeList())
        {
            var i = f - k.FirstFrame;
            isFree[(int)(i / 64)] |= 1UL << (int)(i % 64);
        }

        var xen = k.Xen;
        Span<uint> bases = k.Cpus <= 64 ? stackalloc uint[2 * k.Cpus] : new uint[2 * k.Cpus];
        for (var v = 0; v < k.Cpus; v++)
        {
            var info = xen.Vcpu(v);
            bases[2 * v] = info.GuestTable;
            bases[(2 * v) + 1] = info.GuestTableUser;
        }

        var l1 = ReadOnlySpan<ulong>.Empty;
        var l1Va = ulong.MaxValue;
        for (var i = 0; i < n; i++)
        {
            var mfn = k.FirstFrame + (uint)i;
            if ((isFree[i / 64] & (1UL << (i % 64))) != 0 && (xen.IsPageTableInUse(mfn) || bases.Contains(mfn)))
            {
                errors.Add($"G2: frame {mfn} is free in the guest but Xen holds it ({xen.Frame(mfn)})");
            }

            if (k.PteLocked[i])
            {
                errors.Add($"frame {mfn}: split PTE lock still held between operations");
            }

            var va = k.Va(mfn);
            if (va >> 21 != l1Va)
            {
                l1Va = va >> 21;
                var e = xen.Entry(k.SwapperPgd, Mm.Layout.PgdIndex(va));
                e = xen.Entry(PageFlags.Mfn(e), Mm.Layout.PudIndex(va));
                e = xen.Entry(PageFlags.Mfn(e), Mm.Layout.PmdIndex(va));
                l1 = xen.Entries(PageFlags.Mfn(e));
            }

            var pte = l1.IsEmpty ? 0 : l1[Mm.Layout.PteIndex(va)];
            var ro = PageFlags.IsPresent(pte) && (pte & PageFlags.Rw) == 0;
            if (k.PagePinned[i] != ro)
            {
                errors.Add($"G4: frame {mfn}: PagePinned {k.PagePinned[i]} but its direct-map entry is {PageFlags.Format(pte)}");
            }
        }
    }

    /// <summary>
    /// The same checks, frame by frame through the hypervisor's inspection calls and a page walk per frame: the
    /// reference <see cref="Check(Kernel, Func{int, bool})"/> is tested against.
    /// </summary>
    public static List<string> CheckFull(Kernel k, Func<int, bool> inContextSwitch)
    {
        var errors = new List<string>();
        Span<bool> switching = k.Cpus <= 256 ? stackalloc bool[k.Cpus] : new bool[k.Cpus];
        for (var cpu = 0; cpu < k.Cpus; cpu++)
        {
            switching[cpu] = inContextSwitch(cpu);
        }

        CheckCpusAndWarnings(k, switching, errors);
        CheckFramesFull(k, errors);
        CheckMms(k, errors);
        return errors;
    }

    private static void CheckCpusAndWarnings(Kernel k, ReadOnlySpan<bool> inContextSwitch, List<string> errors)
    {

        // An unpin (or any batch) is never followed by a failed entry: no WARN from xen_mc_flush.
        foreach (var w in k.Mc.Warnings)
        {
            errors.Add($"G1: CPU {w.Cpu}: multicall entry {w.Entry + 1} ({w.Op} {w.Arg0:x}) failed with {Errno.Name(w.Result)}");
        }

        foreach (var o in k.Oopses)
        {
            errors.Add("G1: oops: " + o);
        }

        for (var cpu = 0; cpu < k.Cpus; cpu++)
        {
            var switching = inContextSwitch[cpu];
            // A batch may stay queued only inside a lazy mode: a context switch's (lazy CPU) or a lazy MMU section's
            // (copy_pte_range, apply_to_pte_range), whose leave issues it.
            if (k.Mc.Pending(cpu) != 0 && !switching && k.Lazy[cpu] == Multicalls.LazyMode.None)
            {
                errors.Add($"CPU {cpu}: {k.Mc.Pending(cpu)} multicall entries still queued between operations");
            }

            // xen_current_cr3 never claims a base pointer that Xen has not installed.
            var installed = k.Xen.VcpuGuestTable(cpu);
            if (k.XenCurrentCr3[cpu] != installed)
            {
                errors.Add($"G3: CPU {cpu}: xen_current_cr3 says frame {k.XenCurrentCr3[cpu]}, Xen has {installed}");
            }

            var loaded = k.LoadedMm[cpu];
            if (!k.Mms.Live[loaded])
            {
                errors.Add($"G5: CPU {cpu} has freed mm {loaded} loaded");
            }
            else if (k.XenCr3[cpu] != k.Mms.Pgd[loaded] && !switching)
            {
                errors.Add($"CPU {cpu}: cpu_tlbstate.loaded_mm is mm {loaded} but xen_cr3 is frame {k.XenCr3[cpu]}");
            }
        }
    }

    private static void CheckFramesFull(Kernel k, List<string> errors)
    {
        var isFree = new bool[k.FrameCount];
        foreach (var f in k.FreeList())
        {
            isFree[f - k.FirstFrame] = true;
        }

        for (var i = 0; i < k.FrameCount; i++)
        {
            var mfn = k.FirstFrame + (uint)i;
            var info = k.Xen.Frame(mfn);
            var tableInUse = info.Type is >= PageType.L1 and <= PageType.L4 && info.TypeCount > 0;

            // No page is freed while Xen still holds it as a table or some vCPU still has it as a base pointer.
            if (isFree[i] && (tableInUse || IsBasePointer(k, mfn)))
            {
                errors.Add($"G2: frame {mfn} is free in the guest but Xen holds it ({info})");
            }

            if (k.PteLocked[i])
            {
                errors.Add($"frame {mfn}: split PTE lock still held between operations");
            }

            // PagePinned ⇔ read-only in the direct map.
            var pte = k.DirectMapPte(mfn);
            var ro = PageFlags.IsPresent(pte) && (pte & PageFlags.Rw) == 0;
            if (k.PagePinned[i] != ro)
            {
                errors.Add($"G4: frame {mfn}: PagePinned {k.PagePinned[i]} but its direct-map entry is {PageFlags.Format(pte)}");
            }
        }
    }

    private static void CheckMms(Kernel k, List<string> errors)
    {
        // Rows from HighWater on are all zeros: never live.
        for (var mm = 1; mm < k.Mms.HighWater; mm++)
        {
            if (k.Mms.Live[mm] && (k.Mms.Count[mm] < 1 || k.Mms.Users[mm] < 0))
            {
                errors.Add($"G5: mm {mm}: mm_users {k.Mms.Users[mm]}, mm_count {k.Mms.Count[mm]}");
            }
        }
    }

    private static bool IsBasePointer(Kernel k, uint mfn)
    {
        for (var v = 0; v < k.Cpus; v++)
        {
            var info = k.Xen.Vcpu(v);
            if (info.GuestTable == mfn || info.GuestTableUser == mfn)
            {
                return true;
            }
        }

        return false;
    }
}
