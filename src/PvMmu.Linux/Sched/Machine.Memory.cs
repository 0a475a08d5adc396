using PvMmu.Events;
using PvMmu.Linux.Mm;

namespace PvMmu.Linux.Sched;

/// <summary>
/// The machine's steps for what a process does to its memory after the start and for a vCPU going idle
/// (docs/scenario-format.md, "Steps"): copy-on-write faults, munmap, mmap, touch of a range, a new thread, mprotect
/// and sleep. Each advances as finely as the exit's teardown and the touch: a page per move for a fault, a PTE page
/// (one zap_pte_range or change_pte_range) per move for munmap and mprotect, with the VMA work and the final flush
/// moves of their own.
/// </summary>
public sealed partial class Machine
{
    /// <summary>Per vCPU: the range an mmu_gather (munmap) will flush, or for an mprotect whether a PTE was committed.</summary>
    private readonly StateRow<ulong> _tlbStart;

    /// <summary>Per vCPU: the end of that range (0: nothing to flush).</summary>
    private readonly StateRow<ulong> _tlbEnd;

    /// <summary>The ranges the memory steps name, by index (<see cref="Op.Arg"/> of those steps).</summary>
    public IReadOnlyList<UserRange> Ranges { get; init; } = [];

    /// <summary>The page cache of the workload's files (what a file mapping's faults map).</summary>
    public PageCache Files { get; init; } = PageCache.Empty;

    /// <summary>The munmap and mprotect steps, by number: the VMA work, one PTE page per move, the final flush.</summary>
    private const int RangeBegin = 0, RangeSlices = 1;

    private bool StepMemory(int cpu, Op op) => op.Kind switch
    {
        OpKind.CowWrite => StepCowWrite(cpu, MmOf(op.Process), Ranges[op.Arg]),
        OpKind.TouchRange => StepTouchRange(cpu, MmOf(op.Process), Ranges[op.Arg]),
        OpKind.Munmap => StepMunmap(cpu, MmOf(op.Process), Ranges[op.Arg]),
        OpKind.Mprotect => StepMprotect(cpu, MmOf(op.Process), Ranges[op.Arg]),
        OpKind.Mmap => StepMmap(MmOf(op.Process), Ranges[op.Arg]),
        OpKind.CloneThread => StepCloneThread(MmOf(op.Process)),
        _ => StepSleep(cpu),
    };

    /// <summary>
    /// One write fault per move on the next page of the range (mm/memory.c handle_pte_fault → do_wp_page on a present
    /// read-only PTE: wp_page_copy for a page still shared after fork, wp_page_reuse otherwise; do_anonymous_page on a
    /// missing one): <see cref="MmOps.WriteFault"/>.
    /// </summary>
    private bool StepCowWrite(int cpu, int mm, UserRange r)
    {
        MmOps.WriteFault(K, cpu, mm, r.Start + ((ulong)_cursor[cpu] << 12));
        return ++_cursor[cpu] >= r.Pages;
    }

    /// <summary>One fault per move on the next page of the range: <see cref="MmOps.Touch"/> (anonymous write, or file fault).</summary>
    private bool StepTouchRange(int cpu, int mm, UserRange r)
    {
        MmOps.Touch(K, cpu, mm, r.Start + ((ulong)_cursor[cpu] << 12), Files);
        return ++_cursor[cpu] >= r.Pages;
    }

    /// <summary>
    /// munmap (mm/mmap.c __vm_munmap → do_vmi_munmap): move 0 detaches the VMAs' part (<see cref="Munmap.Detach"/>);
    /// then one zap_pte_range per move (<see cref="Munmap.ZapSlice"/>, a PTE page with the mmu_gather's mid-slice
    /// flushes); the last move is free_pgtables and tlb_finish_mmu (<see cref="Munmap.Finish"/>).
    /// </summary>
    private bool StepMunmap(int cpu, int mm, UserRange r)
    {
        if (_step[cpu] == RangeBegin)
        {
            _alt[cpu] = Munmap.MapsFile(K, mm, r.Start) ? 1 : 0;
            Munmap.Detach(K, mm, r.Start, r.End);
            _tlbStart[cpu] = _tlbEnd[cpu] = 0;
            _step[cpu] = RangeSlices;
            return false;
        }

        var range = new TlbRange(_tlbStart[cpu], _tlbEnd[cpu]);
        if (Munmap.ZapSlice(K, cpu, mm, r.Start, r.End, _cursor[cpu], _alt[cpu] == 1, _gather[cpu], ref range))
        {
            (_tlbStart[cpu], _tlbEnd[cpu]) = (range.Start, range.End);
            _cursor[cpu]++;
            return false;
        }

        Munmap.Finish(K, cpu, mm, r.Start, r.End, _gather[cpu], range);
        _tlbStart[cpu] = _tlbEnd[cpu] = 0;
        return true;
    }

    /// <summary>
    /// mprotect (mm/mprotect.c): one change_pte_range per move (<see cref="Mprotect.ChangeSlice"/>); the last move is
    /// flush_tlb_range if a PTE was committed (<see cref="Mprotect.Finish"/>). The VMA's vm_flags are not modeled
    /// (docs/model.md): the scenario file checks which steps a protection allows.
    /// </summary>
    private bool StepMprotect(int cpu, int mm, UserRange r)
    {
        var changed = _tlbEnd[cpu] != 0;
        if (Mprotect.ChangeSlice(K, cpu, mm, r.Start, r.End, _cursor[cpu], r.Writable, ref changed))
        {
            _tlbEnd[cpu] = changed ? 1UL : 0;
            _cursor[cpu]++;
            return false;
        }

        Mprotect.Finish(K, cpu, mm, r.Start, r.End, changed);
        _tlbEnd[cpu] = 0;
        return true;
    }

    /// <summary>mmap_region (mm/mmap.c): a new VMA, anonymous or of a file; no page table is touched until a fault.</summary>
    private bool StepMmap(int mm, UserRange r)
    {
        if (r.File < 0)
        {
            MmOps.MapAnonymous(K, mm, r.Start, r.Pages);
        }
        else
        {
            MmOps.MapFile(K, mm, r.Start, r.Pages, r.File, r.Shared);
        }

        return true;
    }

    /// <summary>
    /// clone(CLONE_VM | CLONE_THREAD): copy_process → copy_mm shares the mm (mmget: mm_users + 1); no page table is
    /// copied and no CR3 changes. The thread runs where a later run step switches to the process.
    /// </summary>
    private bool StepCloneThread(int mm)
    {
        K.Mms.Users[mm]++;
        return true;
    }

    /// <summary>
    /// The vCPU has nothing to run for a while: a context switch to the idle task (the four moves of a switch to a
    /// kernel thread: the idle task borrows the loaded mm lazily, mmgrab and enter_lazy_tlb, so the vCPU stays in
    /// mm_cpumask and an exit elsewhere must reach it), then one move in which it blocks (default_idle → xen_safe_halt
    /// → HYPERVISOR_sched_op(SCHEDOP_block), events enabled) and is woken again; the program goes on after it.
    /// </summary>
    private bool StepSleep(int cpu)
    {
        if (_alt[cpu] == 0)
        {
            if (StepSwitch(cpu, -1))
            {
                _alt[cpu] = 1;
                _step[cpu] = 0;
            }

            return false;
        }

        K.Events.Add(cpu, EventKind.SchedBlock);
        return true;
    }

    /// <summary>What the next move of a memory step or a sleep runs, named after the real functions (for <see cref="Describe"/>).</summary>
    private string? DescribeMemory(int cpu, Op op)
    {
        var step = _step[cpu];
        return op.Kind switch
        {
            OpKind.CowWrite => $"cow_write P{op.Process}: handle_mm_fault → do_wp_page → wp_page_copy, page {_cursor[cpu]}",
            OpKind.TouchRange => $"touch P{op.Process}: handle_mm_fault, page {_cursor[cpu]}",
            OpKind.Munmap => step == RangeBegin
                ? $"munmap P{op.Process}: do_vmi_munmap → detach the VMAs"
                : $"munmap P{op.Process}: unmap_region → zap_pte_range slice {_cursor[cpu]} (or free_pgtables, tlb_finish_mmu)",
            OpKind.Mprotect => $"mprotect P{op.Process}: change_pte_range slice {_cursor[cpu]} (or flush_tlb_range)",
            OpKind.Mmap => $"mmap P{op.Process}: mmap_region",
            OpKind.CloneThread => $"clone_thread P{op.Process}: copy_process → copy_mm (mmget)",
            OpKind.Sleep => _alt[cpu] == 0
                ? $"sleep: switch to idle, step {step} (__schedule, enter_lazy_tlb, xen_end_context_switch, IRQs on)"
                : "sleep: default_idle → xen_safe_halt → SCHEDOP_block, woken",
            _ => null,
        };
    }
}
