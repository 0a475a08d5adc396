using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;

namespace PvMmu.Linux.Sched;

/// <summary>
/// The scheduler seam: every vCPU runs a program of operations, and each operation advances in explicit steps at the
/// points where real concurrency matters — a context switch's IRQs-off window between queuing the CR3 switch and
/// issuing it, an exit's IPIs (posted from the per-CPU state read at that moment, then waited for), each zap slice.
/// A pending IPI is taken only by a vCPU with interrupts enabled. Which move comes next is the scheduler's choice;
/// the machine has no threads and no clock, so a seed and a program fix the run. Operation state is per-vCPU arrays
/// (operation index, step, cursor).
/// </summary>
public sealed class Machine
{
    private readonly Op[][] _programs;
    private readonly int[] _pc;
    private readonly int[] _step;
    private readonly int[] _cursor;
    private readonly bool[] _irqsOff;
    private readonly ulong[] _waitingFor;
    private readonly ulong[] _serialLeft;
    private readonly IpiHandler[] _pendingHandler;
    private readonly int[] _pendingMm;
    private readonly ulong[] _pendingFrom;
    private readonly int[] _lazyRef;
    private readonly int[] _processMm;
    private readonly bool[] _flags;
    private readonly List<uint>[] _gather;
    private readonly Choice[] _choices;

    public Machine(Kernel kernel, IExitStrategy strategy, Op[][] programs, int[] processMm)
    {
        if (programs.Length != kernel.Cpus)
        {
            throw new ArgumentException($"{programs.Length} programs for {kernel.Cpus} vCPUs");
        }

        K = kernel;
        Strategy = strategy;
        var n = kernel.Cpus;
        _programs = programs;
        _pc = new int[n];
        _step = new int[n];
        _cursor = new int[n];
        _irqsOff = new bool[n];
        _waitingFor = new ulong[n];
        _serialLeft = new ulong[n];
        _pendingHandler = new IpiHandler[n * n];
        _pendingMm = new int[n * n];
        _pendingFrom = new ulong[n];
        _lazyRef = new int[n];
        Array.Fill(_lazyRef, -1);
        _processMm = processMm;
        _flags = new bool[64];
        _gather = new List<uint>[n];
        for (var i = 0; i < n; i++)
        {
            _gather[i] = [];
        }

        _choices = new Choice[2 * n];
    }

    public Kernel K { get; }

    public IExitStrategy Strategy { get; }

    /// <summary>The programs an <see cref="OpKind.ExecImage"/> can exec, by index.</summary>
    public IReadOnlyList<ProcessImage> Images { get; init; } = [];

    /// <summary>When set, called after every move; a non-empty answer stops the run (a violation).</summary>
    public Func<Machine, List<string>>? CheckAfterEachMove { get; set; }

    /// <summary>The first violation found by <see cref="CheckAfterEachMove"/>, with the move that led to it.</summary>
    public List<string> Violations { get; } = [];

    /// <summary>Whether vCPU <paramref name="cpu"/> is inside a context switch's IRQs-off window (its CR3 switch queued).</summary>
    public bool InContextSwitch(int cpu) => _irqsOff[cpu];

    /// <summary><see cref="InContextSwitch"/> for every vCPU at once.</summary>
    public ReadOnlySpan<bool> ContextSwitching => _irqsOff;

    /// <summary><see cref="InContextSwitch"/> as a delegate, made once (a check after every move need not allocate one).</summary>
    public Func<int, bool> InContextSwitchCheck => _inContextSwitch ??= InContextSwitch;

    private Func<int, bool>? _inContextSwitch;

    /// <summary>Every move made, in order: the schedule, for replay.</summary>
    public List<Choice> History { get; } = [];

    /// <summary>The operation vCPU <paramref name="cpu"/> is in or about to start, or null when its program has ended.</summary>
    public Op? CurrentOp(int cpu) => _pc[cpu] < _programs[cpu].Length ? _programs[cpu][_pc[cpu]] : null;

    /// <summary>Every program has ended and no IPI is pending.</summary>
    public bool Done
    {
        get
        {
            for (var c = 0; c < K.Cpus; c++)
            {
                if (_pc[c] < _programs[c].Length || _pendingFrom[c] != 0)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>
    /// After the programs: every CPU switches to a task of init_mm, so every lazy reference is dropped and every mm
    /// whose users are gone is freed.
    /// </summary>
    public void Quiesce()
    {
        for (var c = 0; c < K.Cpus; c++)
        {
            if (K.LoadedMm[c] != 0)
            {
                MmOps.SwitchMm(K, c, 0);
            }

            DropLazyRef(c);
        }
    }

    /// <summary>The mm of a process (its id in the kernel's mm table).</summary>
    public int MmOf(int process) => _processMm[process];

    /// <summary>The moves enabled now, in a fixed order (by vCPU, an IPI before a step).</summary>
    public ReadOnlySpan<Choice> Enabled()
    {
        var n = 0;
        for (var c = 0; c < K.Cpus; c++)
        {
            if (_pendingFrom[c] != 0 && !_irqsOff[c])
            {
                _choices[n++] = new Choice(c, ChoiceKind.TakeIpi);
            }

            if (CanStep(c))
            {
                _choices[n++] = new Choice(c, ChoiceKind.Step);
            }
        }

        return _choices.AsSpan(0, n);
    }

    private bool CanStep(int c)
    {
        if (_pc[c] >= _programs[c].Length || _waitingFor[c] != 0)
        {
            return false;
        }

        var op = _programs[c][_pc[c]];
        return op.Kind != OpKind.Wait || _flags[op.Arg];
    }

    /// <summary>Runs until done; returns false on a deadlock (moves remain to be made, none is enabled).</summary>
    public bool Run(IScheduler scheduler, int maxMoves = 10_000_000)
    {
        for (var moves = 0; moves < maxMoves && !Done; moves++)
        {
            var enabled = Enabled();
            if (enabled.Length == 0)
            {
                return false;
            }

            Apply(enabled[scheduler.Choose(enabled)]);
            if (CheckAfterEachMove != null)
            {
                var errors = CheckAfterEachMove(this);
                if (errors.Count > 0)
                {
                    Violations.Add($"after move {History.Count} ({History[^1]}): {string.Join("; ", errors)}");
                    return true;
                }
            }
        }

        return Done;
    }

    public void Apply(Choice choice)
    {
        History.Add(choice);
        if (choice.Kind == ChoiceKind.TakeIpi)
        {
            TakeIpi(choice.Cpu);
        }
        else
        {
            Step(choice.Cpu);
        }
    }

    private void TakeIpi(int cpu)
    {
        var from = System.Numerics.BitOperations.TrailingZeroCount(_pendingFrom[cpu]);
        _pendingFrom[cpu] &= ~(1UL << from);
        var slot = (cpu * K.Cpus) + from;
        K.RunIpi(cpu, _pendingHandler[slot], _pendingMm[slot]);
        _pendingHandler[slot] = IpiHandler.None;
        _pendingMm[slot] = 0;
        _waitingFor[from] &= ~(1UL << cpu);
    }

    private void Post(int from, int target, int mm)
    {
        var slot = (target * K.Cpus) + from;
        _pendingHandler[slot] = Strategy.Handler;
        _pendingMm[slot] = mm;
        _pendingFrom[target] |= 1UL << from;
        _waitingFor[from] |= 1UL << target;
        K.Counts.Add(from, GuestEvent.IpiSent);
    }

    private void Step(int cpu)
    {
        var op = _programs[cpu][_pc[cpu]];
        var done = op.Kind switch
        {
            OpKind.Run => StepRun(cpu, MmOf(op.Process)),
            OpKind.Kthread => StepKthread(cpu),
            OpKind.Touch => StepTouch(cpu, MmOf(op.Process), op.Arg),
            OpKind.Exit => StepExit(cpu, MmOf(op.Process)),
            OpKind.Fork => StepFork(cpu, op),
            OpKind.Exec => StepExec(cpu, op),
            OpKind.ExecImage => StepExecImage(cpu, op),
            OpKind.Signal => SetFlag(op.Arg),
            _ => true,
        };
        if (done)
        {
            _pc[cpu]++;
            _step[cpu] = 0;
            _cursor[cpu] = 0;
        }
    }

    private bool SetFlag(int flag)
    {
        _flags[flag] = true;
        return true;
    }

    /// <summary>
    /// context_switch to a user task: arch_start_context_switch (lazy CPU mode, IRQs off) and switch_mm_irqs_off
    /// queue the CR3 switch; then arch_end_context_switch issues the batch and finish_task_switch drops a lazy
    /// reference the CPU held.
    /// </summary>
    private bool StepRun(int cpu, int mm)
    {
        if (_step[cpu] == 0)
        {
            K.Counts.Add(cpu, GuestEvent.ContextSwitch);
            _irqsOff[cpu] = true;
            K.Lazy[cpu] = LazyMode.Cpu;
            MmOps.SwitchMm(K, cpu, mm);
            _step[cpu] = 1;
            return false;
        }

        EndContextSwitch(cpu);
        DropLazyRef(cpu);
        return true;
    }

    /// <summary>context_switch to a kernel thread: it borrows the loaded mm (mmgrab, enter_lazy_tlb); no CR3 change.</summary>
    private bool StepKthread(int cpu)
    {
        if (_step[cpu] == 0)
        {
            K.Counts.Add(cpu, GuestEvent.ContextSwitch);
            _irqsOff[cpu] = true;
            K.Lazy[cpu] = LazyMode.Cpu;
            var mm = K.LoadedMm[cpu];
            if (mm != 0 && _lazyRef[cpu] != mm)
            {
                K.Mms.Count[mm]++;
                DropLazyRef(cpu);
                _lazyRef[cpu] = mm;
            }

            MmOps.EnterLazyTlb(K, cpu, Strategy.LazyTlbLeavesCpumask);
            _step[cpu] = 1;
            return false;
        }

        EndContextSwitch(cpu);
        return true;
    }

    private void EndContextSwitch(int cpu)
    {
        K.Mc.Flush(cpu);
        K.Lazy[cpu] = LazyMode.None;
        _irqsOff[cpu] = false;
    }

    private void DropLazyRef(int cpu)
    {
        var mm = _lazyRef[cpu];
        _lazyRef[cpu] = -1;
        if (mm > 0 && K.LoadedMm[cpu] != mm)
        {
            ExitPath.MmDrop(K, cpu, mm, Strategy);
        }
        else if (mm > 0)
        {
            // Still loaded here (a kernel thread switched back to the same mm): the reference moves on.
            _lazyRef[cpu] = mm;
        }
    }

    /// <summary>One page fault per step, in the mm's first mapping, from where the last touch stopped.</summary>
    private bool StepTouch(int cpu, int mm, int pages)
    {
        var start = K.Mms.VmaStart[mm * MmTable.MaxVmas];
        MmOps.FaultIn(K, cpu, mm, start + ((ulong)_cursor[cpu] << 12));
        return ++_cursor[cpu] >= pages;
    }

    private bool StepFork(int cpu, Op op)
    {
        _processMm[op.Arg] = ForkExec.Fork(K, cpu, MmOf(op.Process), Strategy);
        K.Mms.Users[_processMm[op.Arg]] = 1;
        return true;
    }

    private bool StepExec(int cpu, Op op)
    {
        _processMm[op.Process] = ForkExec.Exec(K, cpu, MmOf(op.Process), op.Arg, Strategy);
        return true;
    }

    private bool StepExecImage(int cpu, Op op)
    {
        _processMm[op.Process] = ForkExec.Exec(K, cpu, MmOf(op.Process), Images[op.Arg], Strategy);
        return true;
    }

    /// <summary>
    /// do_exit → exit_mm, and for the last user exit_mmap: the arch hook's local drop; its IPIs, posted from the
    /// per-CPU state read now and waited for (one at a time on the serial fallback); the rest of the hook; one
    /// zap_pte_range slice per step; free_pgtables, tlb_finish_mmu and the users' mmdrop.
    /// </summary>
    private bool StepExit(int cpu, int mm)
    {
        switch (_step[cpu])
        {
            case 0:
                K.Counts.Add(cpu, GuestEvent.Exit);
                K.Mms.Count[mm]++;
                DropLazyRef(cpu);
                _lazyRef[cpu] = mm;
                MmOps.EnterLazyTlb(K, cpu, Strategy.LazyTlbLeavesCpumask);
                if (--K.Mms.Users[mm] > 0)
                {
                    return true;
                }

                Strategy.DropLocal(K, cpu, mm);
                _step[cpu] = 1;
                return false;
            case 1:
            {
                var mask = Strategy.Handler == IpiHandler.None ? 0 : Strategy.IpiMask(K, cpu, mm);
                if (Strategy.SerialIpis)
                {
                    _serialLeft[cpu] = mask;
                    _step[cpu] = 2;
                    return false;
                }

                for (var t = 0; t < K.Cpus; t++)
                {
                    if ((mask & (1UL << t)) != 0)
                    {
                        if (t == cpu)
                        {
                            K.RunIpi(cpu, Strategy.Handler, mm);
                        }
                        else
                        {
                            Post(cpu, t, mm);
                        }
                    }
                }

                _step[cpu] = 3;
                return false;
            }

            case 2:
            {
                // smp_call_function_single, one CPU at a time, each waited for before the next.
                var left = _serialLeft[cpu];
                if (left == 0)
                {
                    _step[cpu] = 3;
                    return false;
                }

                var t = System.Numerics.BitOperations.TrailingZeroCount(left);
                _serialLeft[cpu] = left & ~(1UL << t);
                if (t == cpu)
                {
                    K.RunIpi(cpu, Strategy.Handler, mm);
                }
                else
                {
                    Post(cpu, t, mm);
                }

                return false;
            }

            case 3:
                Strategy.AfterIpis(K, cpu, mm);
                _step[cpu] = 4;
                return false;
            case 4:
                if (ExitPath.ZapSlice(K, cpu, mm, _cursor[cpu], _gather[cpu]))
                {
                    _cursor[cpu]++;
                    return false;
                }

                ExitPath.FinishExitMmap(K, cpu, mm, _gather[cpu]);
                ExitPath.MmDrop(K, cpu, mm, Strategy);
                return true;
            default:
                throw new InvalidOperationException($"exit step {_step[cpu]}");
        }
    }

    // ---- Snapshots -------------------------------------------------------------------------------------------

    /// <summary>A copy of the machine's whole state: kernel, hypervisor, and every vCPU's place in its program.</summary>
    public MachineSnapshot Snapshot() => new(
        K.Snapshot(),
        [(int[])_pc.Clone(), (int[])_step.Clone(), (int[])_cursor.Clone(), (int[])_pendingMm.Clone(), (int[])_lazyRef.Clone(), (int[])_processMm.Clone()],
        [(ulong[])_waitingFor.Clone(), (ulong[])_serialLeft.Clone(), (ulong[])_pendingFrom.Clone()],
        (bool[])_irqsOff.Clone(),
        (bool[])_flags.Clone(),
        (IpiHandler[])_pendingHandler.Clone(),
        [.. _gather.Select(g => g.ToArray())],
        History.Count);

    /// <summary>
    /// <see cref="Snapshot"/> into <paramref name="reuse"/> (a snapshot of this machine no longer needed, or null),
    /// copying into its arrays where the sizes match: the exhaustive search takes one snapshot per state expanded,
    /// and reusing one per depth saves allocating (and collecting) tens of kilobytes each time.
    /// </summary>
    public MachineSnapshot SnapshotInto(MachineSnapshot? reuse)
    {
        if (reuse == null || reuse.Gather.Length != _gather.Length || reuse.IrqsOff.Length != _irqsOff.Length)
        {
            return Snapshot();
        }

        var s = reuse;
        s.Kernel = K.SnapshotInto(s.Kernel);
        _pc.CopyTo(s.Ints[0], 0);
        _step.CopyTo(s.Ints[1], 0);
        _cursor.CopyTo(s.Ints[2], 0);
        _pendingMm.CopyTo(s.Ints[3], 0);
        _lazyRef.CopyTo(s.Ints[4], 0);
        _processMm.CopyTo(s.Ints[5], 0);
        _waitingFor.CopyTo(s.Masks[0], 0);
        _serialLeft.CopyTo(s.Masks[1], 0);
        _pendingFrom.CopyTo(s.Masks[2], 0);
        _irqsOff.CopyTo(s.IrqsOff, 0);
        _flags.CopyTo(s.Flags, 0);
        _pendingHandler.CopyTo(s.PendingHandler, 0);
        for (var c = 0; c < _gather.Length; c++)
        {
            var g = _gather[c];
            if (s.Gather[c].Length != g.Count)
            {
                s.Gather[c] = g.Count == 0 ? [] : new uint[g.Count];
            }

            g.CopyTo(s.Gather[c]);
        }

        s.HistoryLength = History.Count;
        return s;
    }

    /// <summary>Puts the machine back where <paramref name="s"/> was taken; the history is cut back to that point.</summary>
    public void Restore(MachineSnapshot s)
    {
        K.Restore(s.Kernel);
        s.Ints[0].CopyTo(_pc, 0);
        s.Ints[1].CopyTo(_step, 0);
        s.Ints[2].CopyTo(_cursor, 0);
        s.Ints[3].CopyTo(_pendingMm, 0);
        s.Ints[4].CopyTo(_lazyRef, 0);
        s.Ints[5].CopyTo(_processMm, 0);
        s.Masks[0].CopyTo(_waitingFor, 0);
        s.Masks[1].CopyTo(_serialLeft, 0);
        s.Masks[2].CopyTo(_pendingFrom, 0);
        s.IrqsOff.CopyTo(_irqsOff, 0);
        s.Flags.CopyTo(_flags, 0);
        s.PendingHandler.CopyTo(_pendingHandler, 0);
        for (var c = 0; c < _gather.Length; c++)
        {
            _gather[c].Clear();
            _gather[c].AddRange(s.Gather[c]);
        }

        History.RemoveRange(s.HistoryLength, History.Count - s.HistoryLength);
    }

    /// <summary>The kernel's fingerprint combined with every vCPU's place in its program and what is pending.</summary>
    public ulong Fingerprint() => Fingerprint(K.StartFingerprint());

    /// <summary>The same with every page-table page hashed afresh (see <see cref="Kernel.FingerprintFromScratch"/>).</summary>
    public ulong FingerprintFromScratch() => Fingerprint(K.StartFingerprintFromScratch());

    /// <summary>Adds the vCPUs' part to the kernel's in one buffer: one hash call per state, not two.</summary>
    private ulong Fingerprint(FingerprintBuffer b)
    {
        b.Add(_pc);
        b.Add(_step);
        b.Add(_cursor);
        b.Add(_pendingMm);
        b.Add(_lazyRef);
        b.Add(_processMm);
        b.Add(_waitingFor);
        b.Add(_serialLeft);
        b.Add(_pendingFrom);
        b.Add(_irqsOff);
        b.Add(_flags);
        b.Add(_pendingHandler);
        foreach (var g in _gather)
        {
            b.Add((ulong)g.Count);
            b.Add((ReadOnlySpan<uint>)System.Runtime.InteropServices.CollectionsMarshal.AsSpan(g));
        }

        return b.Hash();
    }
}
