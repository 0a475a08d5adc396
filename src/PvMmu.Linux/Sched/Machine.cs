using PvMmu.Events;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Multicalls;
using PvMmu.Linux.Pvops;
using PvMmu.Scheduling;
using PvMmu.Xen.Abi;

namespace PvMmu.Linux.Sched;

/// <summary>
/// The scheduler seam: every vCPU runs a program of operations, and each operation advances in explicit steps at the
/// points where another vCPU can observe a difference or an IPI can be taken (docs/model.md, "Steps"): a context
/// switch is schedule()'s IRQs-off entry with arch_start_context_switch, switch_mm_irqs_off (the CR3 load queued),
/// arch_end_context_switch (the batch issued), finish_task_switch's IRQs-on, and its mmdrop; an exit is exit_mm,
/// the arch hook's local drop, one read of another CPU's per-CPU state per step, one IPI sent per step, the wait and
/// the unpin, one zap_pte_range slice per step, and the rest. A pending IPI is taken only by a vCPU with interrupts
/// enabled. A <see cref="OpKind.Schedule"/> step offers several moves (the scheduler's choice of the next task).
/// Which move comes next is the scheduler's choice; the machine has no threads and no clock, so a seed and a
/// program fix the run.
/// </summary>
public sealed partial class Machine : ISchedulable
{
    // ---- The explored state of the vCPUs, declared once: snapshot, restore and fingerprint walk these lists. ----

    /// <summary>Every per-vCPU (and per-pair) integer array of the explored state, one after another (<see cref="StateRow{T}"/>).</summary>
    private readonly int[] _ints;

    /// <summary>Every bitmask array of the explored state, one after another.</summary>
    private readonly ulong[] _masks;

    /// <summary>Every flag array of the explored state, one after another.</summary>
    private readonly bool[] _bools;

    private readonly StateRow<int> _pc;
    private readonly StateRow<int> _step;
    private readonly StateRow<int> _cursor;
    private readonly StateRow<int> _alt;
    private readonly StateRow<int> _pendingMm;
    private readonly StateRow<int> _lazyRef;
    private readonly StateRow<int> _processMm;
    private readonly StateRow<int> _newMm;
    private readonly StateRow<int> _exitMm;
    private readonly StateRow<ulong> _waitingFor;
    private readonly StateRow<ulong> _serialLeft;
    private readonly StateRow<ulong> _pendingFrom;

    /// <summary>
    /// Per (target, sender) slot of a pending IPI: the senders whose csd was already queued on the target when this
    /// one was (llist_add order), so that the target runs them first (<see cref="FifoHead"/>). Zero under unordered walks.
    /// </summary>
    private readonly StateRow<ulong> _pendingBefore;
    private readonly StateRow<bool> _irqsOff;
    private readonly StateRow<bool> _flags;
    private readonly IpiHandler[] _pendingHandler;
    private readonly List<uint>[] _gather;

    private readonly Move[] _choices;
    private Op[][] _programs;

    /// <summary>The per-task view's ids (+1; 0: not named yet) of each process slot and of each vCPU's kernel thread.</summary>
    private int[] _processTask = [];
    private int[] _kthreadTask = [];

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
        // The rows in the order the per-array lists had them, so that the fingerprint's bytes are as they were.
        int[] ints = [n, n, n, n, n * n, n, processMm.Length, n, n];
        _ints = new int[ints.Sum()];
        var at = 0;
        _pc = Row(_ints, ints[0]);
        _step = Row(_ints, ints[1]);
        _cursor = Row(_ints, ints[2]);
        _alt = Row(_ints, ints[3]);
        _pendingMm = Row(_ints, ints[4]);
        _lazyRef = Row(_ints, ints[5]);
        _processMm = Row(_ints, ints[6]);
        _newMm = Row(_ints, ints[7]);
        _exitMm = Row(_ints, ints[8]);
        processMm.CopyTo(_processMm.Span);
        // The walks' visited sets last: zero unless the walks are unordered (--symmetry on), so they then add only zeros.
        _masks = new ulong[(6 * n) + (n * n)];
        at = 0;
        _waitingFor = Row(_masks, n);
        _serialLeft = Row(_masks, n);
        _pendingFrom = Row(_masks, n);
        _tlbStart = Row(_masks, n);
        _tlbEnd = Row(_masks, n);
        _walkSeen = Row(_masks, n);
        _pendingBefore = Row(_masks, n * n);
        _bools = new bool[n + 64];
        at = 0;
        _irqsOff = Row(_bools, n);
        _flags = Row(_bools, 64);
        _pendingHandler = new IpiHandler[n * n];
        _lazyRef.Span.Fill(-1);
        _gather = new List<uint>[n];
        for (var i = 0; i < n; i++)
        {
            _gather[i] = [];
        }

        _choices = new Move[Math.Max(1 + Move.MaxAlternatives, (2 * n) + 1) * n];

        StateRow<T> Row<T>(T[] store, int length)
            where T : struct
        {
            var row = new StateRow<T>(store, at, length);
            at += length;
            return row;
        }
    }

    public Kernel K { get; }

    public IExitStrategy Strategy { get; }

    /// <summary>
    /// The name each process slot's tasks have in the per-task view (<see cref="TaskNames.Process"/>); null: P0, P1, ...
    /// Only read when the kernel's sink keeps the view (<see cref="EventSink.Tasks"/>).
    /// </summary>
    public IReadOnlyList<string>? ProcessNames { get; init; }

    /// <summary>The programs an <see cref="OpKind.ExecImage"/> can exec, by index.</summary>
    public IReadOnlyList<ProcessImage> Images { get; init; } = [];

    /// <summary>Whether vCPU <paramref name="cpu"/> is inside a context switch's IRQs-off window (its CR3 switch queued).</summary>
    public bool InContextSwitch(int cpu) => _irqsOff[cpu];

    /// <summary><see cref="InContextSwitch"/> for every vCPU at once.</summary>
    public ReadOnlySpan<bool> ContextSwitching => _irqsOff.Span;

    /// <summary><see cref="InContextSwitch"/> as a delegate, made once (a check after every move need not allocate one).</summary>
    public Func<int, bool> InContextSwitchCheck => _inContextSwitch ??= InContextSwitch;

    private Func<int, bool>? _inContextSwitch;

    /// <summary>Every move made, in order: the schedule, for replay.</summary>
    public List<Move> History { get; } = [];

    /// <summary>The operation vCPU <paramref name="cpu"/> is in or about to start, or null when its program has ended.</summary>
    public Op? CurrentOp(int cpu) => _pc[cpu] < _programs[cpu].Length ? _programs[cpu][_pc[cpu]] : null;

    /// <summary>The step vCPU <paramref name="cpu"/> has reached in its current operation (0 before it starts).</summary>
    public int CurrentStep(int cpu) => _step[cpu];

    /// <summary>For a <see cref="OpKind.Schedule"/> under way: the alternative picked (0 kthread, 1 user task, 2 idle).</summary>
    public int SwitchAlternative(int cpu) => _alt[cpu];

    /// <summary>Whether vCPU <paramref name="cpu"/>'s program has ended (for a <see cref="OpKind.Schedule"/>: it halted).</summary>
    public bool Ended(int cpu) => _pc[cpu] >= _programs[cpu].Length;

    /// <summary>Whether vCPU <paramref name="cpu"/>'s program has taken a step (its IPIs not counted); for coverage of the programs.</summary>
    public bool HasMoved(int cpu) => _pc[cpu] > 0 || _step[cpu] > 0;

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
    /// Starts <paramref name="programs"/> from the state the machine is in (after a setup run): every vCPU at the
    /// start of its new program, and the history cleared. A scenario's setup (the tasks that ran before the race
    /// begins) is run with one program and the race explored with another.
    /// </summary>
    public void Begin(Op[][] programs)
    {
        if (programs.Length != K.Cpus)
        {
            throw new ArgumentException($"{programs.Length} programs for {K.Cpus} vCPUs");
        }

        for (var c = 0; c < K.Cpus; c++)
        {
            if (_step[c] != 0 || _pendingFrom[c] != 0 || _waitingFor[c] != 0)
            {
                throw new InvalidOperationException($"vCPU {c} is in the middle of an operation");
            }
        }

        _programs = programs;
        _pc.Clear();
        _cursor.Clear();
        _alt.Clear();
        History.Clear();
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

    /// <summary>The moves enabled now, in a fixed order (by vCPU, an IPI before a step, alternatives in order).</summary>
    public ReadOnlySpan<Move> Enabled()
    {
        var n = 0;
        for (var c = 0; c < K.Cpus; c++)
        {
            if (_pendingFrom[c] != 0 && !_irqsOff[c])
            {
                if (UnorderedWalks)
                {
                    n = UnorderedIpis(c, n);
                }
                else
                {
                    _choices[n++] = new Move(c, MoveKind.TakeIpi);
                }
            }

            if (!CanStep(c))
            {
                continue;
            }

            var op = _programs[c][_pc[c]];
            if (op.Kind == OpKind.Schedule && _step[c] == 0)
            {
                _choices[n++] = new Move(c, MoveKind.Step, 0);
                if (op.Process >= 0 && (K.IsLazyTlb[c] || K.LoadedMm[c] != MmOf(op.Process)))
                {
                    _choices[n++] = new Move(c, MoveKind.Step, 1);
                }

                _choices[n++] = new Move(c, MoveKind.Step, 2);
            }
            else if (UnorderedWalks && WalkTargets(c) is var walk and not 0)
            {
                n = UnorderedSteps(c, walk, n);
            }
            else
            {
                _choices[n++] = new Move(c, MoveKind.Step);
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

    /// <summary>
    /// Runs under <paramref name="scheduler"/> (through <see cref="RunLoop"/>) until done; returns false on a deadlock
    /// (moves remain to be made, none is enabled).
    /// </summary>
    public bool Run(IScheduler scheduler, int maxMoves = 10_000_000) =>
        RunLoop.Run(this, scheduler, maxMoves: maxMoves) == RunEnd.Done || Done;

    public void Apply(Move choice)
    {
        History.Add(choice);
        _walkChoice = choice.Alt;
        if (choice.Kind == MoveKind.TakeIpi)
        {
            TakeIpi(choice.Cpu);
        }
        else
        {
            Step(choice.Cpu, choice.Alt);
        }
    }

    internal void TakeIpi(int cpu)
    {
        if (Ended(cpu))
        {
            K.Reach(Branch.IpiWokeHaltedCpu);
        }
        else if (_step[cpu] == SwitchMmdrop && IsSwitch(cpu))
        {
            K.Reach(Branch.IpiBeforeFinishTaskSwitch);
        }

        var from = UnorderedWalks ? _walkChoice : FifoHead(cpu);
        if ((_pendingFrom[cpu] & (1UL << from)) == 0)
        {
            throw new InvalidOperationException($"vCPU {cpu} has no IPI pending from vCPU {from}");
        }

        _pendingFrom[cpu] &= ~(1UL << from);
        for (var m = _pendingFrom[cpu]; m != 0; m &= m - 1)
        {
            // The others queued behind this one no longer wait for it.
            _pendingBefore[(cpu * K.Cpus) + System.Numerics.BitOperations.TrailingZeroCount(m)] &= ~(1UL << from);
        }

        var slot = (cpu * K.Cpus) + from;
        _pendingBefore[slot] = 0;
        K.RunIpi(cpu, _pendingHandler[slot], _pendingMm[slot]);
        _pendingHandler[slot] = IpiHandler.None;
        _pendingMm[slot] = 0;
        _waitingFor[from] &= ~(1UL << cpu);
    }

    /// <summary>
    /// The sender whose IPI vCPU <paramref name="cpu"/> runs next: the first queued. flush_smp_call_function_queue takes
    /// the whole call_single_queue (llist_del_all) and reverses it (llist_reverse_order), so the csds run in the order
    /// they were added (kernel/smp.c); a sender waits for its csd, so it has at most one queued on a target.
    /// </summary>
    internal int FifoHead(int cpu)
    {
        for (var m = _pendingFrom[cpu]; m != 0; m &= m - 1)
        {
            var from = System.Numerics.BitOperations.TrailingZeroCount(m);
            if ((_pendingBefore[(cpu * K.Cpus) + from] & _pendingFrom[cpu]) == 0)
            {
                return from;
            }
        }

        return System.Numerics.BitOperations.TrailingZeroCount(_pendingFrom[cpu]);
    }

    /// <summary>smp_call_function_many's queue-and-notify for one target: its csd queued, one event-channel IPI sent.</summary>
    internal void Post(int from, int target, int mm)
    {
        if (K.LoadedMm[target] == mm || K.XenCurrentCr3[target] == K.Mms.Pgd[mm])
        {
            K.Reach(Branch.XenDropMmRefIpi);
        }

        var slot = (target * K.Cpus) + from;
        _pendingHandler[slot] = Strategy.Handler;
        _pendingMm[slot] = mm;
        _pendingBefore[slot] = UnorderedWalks ? 0 : _pendingFrom[target];
        _pendingFrom[target] |= 1UL << from;
        _waitingFor[from] |= 1UL << target;
        K.Events.Add(from, EventKind.IpiSent);
    }

    private bool IsSwitch(int cpu) => CurrentOp(cpu)?.Kind is OpKind.Run or OpKind.Kthread or OpKind.Schedule or OpKind.Sleep;

    private void Step(int cpu, int alt)
    {
        var op = _programs[cpu][_pc[cpu]];
        var done = op.Kind switch
        {
            OpKind.Run => StepSwitch(cpu, MmOf(op.Process)),
            OpKind.Kthread => StepSwitch(cpu, -1),
            OpKind.Schedule => StepSchedule(cpu, op, alt),
            OpKind.Touch => StepTouch(cpu, MmOf(op.Process), op.Arg),
            OpKind.Exit => StepExit(cpu, MmOf(op.Process)),
            OpKind.Fork => StepFork(cpu, op),
            OpKind.Exec => StepExec(cpu, op, ProcessImage.StackOnly(op.Arg)),
            OpKind.ExecImage => StepExec(cpu, op, Images[op.Arg]),
            OpKind.Vmap => StepVmap(cpu, op.Arg),
            OpKind.Signal => SetFlag(op.Arg),
            OpKind.CowWrite or OpKind.Munmap or OpKind.Mmap or OpKind.TouchRange or OpKind.CloneThread or OpKind.Mprotect or OpKind.Sleep => StepMemory(cpu, op),
            OpKind.Compute => StepCompute(cpu, op),
            _ => true,
        };
        if (done)
        {
            _pc[cpu]++;
            _step[cpu] = 0;
            _cursor[cpu] = 0;
            _alt[cpu] = 0;
        }
    }

    /// <summary>The process's user-mode work and its uncounted kernel work, charged to this vCPU in native µs.</summary>
    private bool StepCompute(int cpu, Op op)
    {
        var image = Images[op.Arg];
        K.Events.Add(cpu, EventKind.UserCompute, image.UserMicros);
        K.Events.Add(cpu, EventKind.KernelWork, image.KernelMicros);
        return true;
    }

    private bool SetFlag(int flag)
    {
        _flags[flag] = true;
        return true;
    }

    /// <summary>
    /// One pick of a free-running scheduler: a context switch to a kernel thread (alternative 0), to the user task of
    /// the op's process (1), or to the idle task, which blocks in SCHEDOP_block (2, the program's end). The first
    /// two come back to the same op, so the vCPU picks again.
    /// </summary>
    private bool StepSchedule(int cpu, Op op, int alt)
    {
        if (_step[cpu] == 0)
        {
            _alt[cpu] = alt;
        }

        var target = _alt[cpu] == 1 ? MmOf(op.Process) : -1;
        if (!StepSwitch(cpu, target))
        {
            return false;
        }

        if (_alt[cpu] == 2)
        {
            // xen_safe_halt: HYPERVISOR_sched_op(SCHEDOP_block) with events enabled; an IPI still wakes it. The block
            // itself changes no MMU state and is not counted.
            return true;
        }

        _step[cpu] = 0;
        _alt[cpu] = 0;
        return false;
    }

    /// <summary>The step of a context switch at which finish_task_switch drops the previous lazy mm (IRQs already on).</summary>
    private const int SwitchMmdrop = 4;

    /// <summary>
    /// context_switch to a user task of <paramref name="mm"/>, or (<paramref name="mm"/> &lt; 0) to a kernel thread,
    /// one step at each point another vCPU can see a difference (kernel/sched/core.c, 6.1):
    /// 0. __schedule: IRQs off (rq lock); arch_start_context_switch → xen_start_context_switch enters lazy CPU mode.
    /// 1. switch_mm_irqs_off: next's pgd queued for CR3 (xen_write_cr3 batched), mm_cpumask moved; or, for a kernel
    ///    thread, enter_lazy_tlb and mmgrab of the borrowed active_mm.
    /// 2. arch_end_context_switch → xen_end_context_switch: xen_mc_flush issues the batch (xen_current_cr3 follows
    ///    in its callback), lazy CPU mode left.
    /// 3. finish_task_switch → finish_lock_switch: IRQs on; a pending IPI can land from here.
    /// 4. finish_task_switch's mmdrop of the lazily borrowed mm (rq->prev_mm), when there is one to drop.
    /// </summary>
    private bool StepSwitch(int cpu, int mm)
    {
        switch (_step[cpu])
        {
            case 0:
                K.Events.Add(cpu, EventKind.ContextSwitch);
                _irqsOff[cpu] = true;
                K.Lazy[cpu] = LazyMode.Cpu;
                _step[cpu] = 1;
                return false;
            case 1:
                if (mm >= 0)
                {
                    MmOps.SwitchMm(K, cpu, mm);
                }
                else
                {
                    BorrowActiveMm(cpu);
                }

                _step[cpu] = 2;
                return false;
            case 2:
                K.Mc.Flush(cpu);
                K.Lazy[cpu] = LazyMode.None;
                _step[cpu] = 3;
                return false;
            case 3:
                EnterNextTask(cpu);
                _irqsOff[cpu] = false;
                if (mm < 0 || _lazyRef[cpu] < 0)
                {
                    return true;
                }

                _step[cpu] = SwitchMmdrop;
                return false;
            default:
                DropLazyRef(cpu);
                return true;
        }
    }

    /// <summary>
    /// For the per-task view: <c>current</c> becomes the next task. __switch_to writes current_task after
    /// arch_end_context_switch, so steps 0–2 count for the task switched away from, and step 3 on for the next one.
    /// </summary>
    private void EnterNextTask(int cpu)
    {
        if (K.Events.Tasks is not { } tasks)
        {
            return;
        }

        var op = _programs[cpu][_pc[cpu]];
        var task = op.Kind switch
        {
            OpKind.Run => ProcessTask(tasks, op.Process),
            OpKind.Schedule when _alt[cpu] == 1 => ProcessTask(tasks, op.Process),
            OpKind.Schedule when _alt[cpu] == 2 => tasks.Idle,
            OpKind.Sleep => tasks.Idle,
            _ => KthreadTask(tasks, cpu),
        };
        tasks.Switch(cpu, task);
    }

    /// <summary>The per-task view's id of process slot <paramref name="process"/>'s tasks (named on first use).</summary>
    private int ProcessTask(TaskTally tasks, int process)
    {
        if (_processTask.Length <= process)
        {
            Array.Resize(ref _processTask, Math.Max(process + 1, _processMm.Length));
        }

        if (_processTask[process] == 0)
        {
            _processTask[process] = tasks.Register(TaskNames.Process(ProcessNames, process)) + 1;
        }

        return _processTask[process] - 1;
    }

    private int KthreadTask(TaskTally tasks, int cpu)
    {
        if (_kthreadTask.Length == 0)
        {
            _kthreadTask = new int[K.Cpus];
        }

        if (_kthreadTask[cpu] == 0)
        {
            _kthreadTask[cpu] = tasks.Register(TaskNames.Kthread(cpu)) + 1;
        }

        return _kthreadTask[cpu] - 1;
    }

    /// <summary>context_switch to a kernel thread: it borrows the loaded mm (mmgrab, enter_lazy_tlb); no CR3 change.</summary>
    private void BorrowActiveMm(int cpu)
    {
        var mm = K.LoadedMm[cpu];
        if (mm != 0 && _lazyRef[cpu] != mm)
        {
            K.Mms.Count[mm]++;
            DropLazyRef(cpu);
            _lazyRef[cpu] = mm;
        }

        MmOps.EnterLazyTlb(K, cpu, Strategy.LazyTlbLeavesCpumask);
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
        MmOps.Touch(K, cpu, mm, start + ((ulong)_cursor[cpu] << 12), Files);
        return ++_cursor[cpu] >= pages;
    }

    /// <summary>The fork's steps (<see cref="StepFork"/>), by number.</summary>
    private const int ForkCopy = 1, ForkLeave = 2, ForkPin = 3, ForkFlush = 4;

    /// <summary>
    /// fork's dup_mmap (kernel/fork.c), one step at each point another vCPU can see a difference or an IPI can land:
    /// 0. mm_alloc, pgd_alloc and the VMAs duplicated (under mmap_write_lock: no other vCPU sees the child).
    /// 1. copy_pte_range of one PTE page of the parent (<see cref="ForkExec.CopySlice"/>): both PTE locks held, lazy MMU
    ///    mode entered, the parent's PTEs write-protected natively and the child's queued; interrupts stay on.
    /// 2. arch_leave_lazy_mmu_mode: the batch issued (an IPI taken between 1 and 2 runs its handler with the child's
    ///    PTEs still queued, and the handler's flush issues them).
    /// 3. arch_dup_mmap → xen_dup_mmap: the child pinned.
    /// 4. flush_tlb_mm(oldmm); the child becomes process <see cref="Op.Arg"/>.
    /// </summary>
    private bool StepFork(int cpu, Op op)
    {
        var parent = MmOf(op.Process);
        switch (_step[cpu])
        {
            case 0:
                _newMm[cpu] = ForkExec.ForkBegin(K, cpu, parent, Strategy);
                _step[cpu] = ForkExec.CopySlices(K, parent) > 0 ? ForkCopy : ForkPin;
                return false;
            case ForkCopy:
                ForkExec.CopySlice(K, cpu, parent, _newMm[cpu], _cursor[cpu]++);
                _step[cpu] = K.Lazy[cpu] == LazyMode.Mmu ? ForkLeave : AfterCopy(cpu, parent);
                return false;
            case ForkLeave:
                ForkExec.LeaveLazyMmu(K, cpu);
                _step[cpu] = AfterCopy(cpu, parent);
                return false;
            case ForkPin:
                ForkExec.ForkPin(K, cpu, _newMm[cpu]);
                _step[cpu] = ForkFlush;
                return false;
            default:
                ForkExec.FlushTlbMm(K, cpu, parent);
                _processMm[op.Arg] = _newMm[cpu];
                K.Mms.Users[_newMm[cpu]] = 1;
                _newMm[cpu] = 0;
                return true;
        }
    }

    private int AfterCopy(int cpu, int parent) => _cursor[cpu] < ForkExec.CopySlices(K, parent) ? ForkCopy : ForkPin;

    /// <summary>The exec's steps (<see cref="StepExec"/>), by number; its teardown of the old mm is the exit's steps from <see cref="ExecTeardown"/> on.</summary>
    private const int ExecStack = 1, ExecActivate = 2, ExecSwitch = 3, ExecTeardown = 10, ExecMapRegions = 20, ExecFault = 21;

    /// <summary>
    /// exec (fs/exec.c), one step at each point another vCPU can see a difference or an IPI can land:
    /// 0. bprm_mm_init: the new mm and its stack VMA (no other vCPU sees it yet).
    /// 1. The stack's faults, one PTE page per step (copy_strings → get_user_pages_remote; a direct mmu_update each).
    /// 2. exec_mmap → activate_mm → xen_activate_mm: the new mm pinned (a multicall with IRQs off).
    /// 3. activate_mm's switch_mm (IRQs off): the CR3 load issued at once; mmput of the old mm.
    /// 10+. For the old mm's last user, exit_mmap as an exit runs it (<see cref="StepExitMmap"/>).
    /// 20. load_elf_binary maps the program's regions. 21. Its faults, one PTE page per step.
    /// </summary>
    private bool StepExec(int cpu, Op op, ProcessImage image)
    {
        var step = _step[cpu];
        if (step > ExecTeardown && step < ExecMapRegions)
        {
            if (StepExitMmap(cpu, _exitMm[cpu], ExecTeardown))
            {
                _exitMm[cpu] = 0;
                _step[cpu] = ExecMapRegions;
            }

            return false;
        }

        switch (step)
        {
            case 0:
                _newMm[cpu] = ForkExec.ExecBegin(K, cpu, image, Strategy);
                _step[cpu] = ForkExec.FaultSlices(K, _newMm[cpu], 0) > 0 ? ExecStack : ExecActivate;
                return false;
            case ExecStack:
                ForkExec.FaultSlice(K, cpu, _newMm[cpu], 0, _cursor[cpu]++);
                if (_cursor[cpu] >= ForkExec.FaultSlices(K, _newMm[cpu], 0))
                {
                    _cursor[cpu] = 0;
                    _step[cpu] = ExecActivate;
                }

                return false;
            case ExecActivate:
                ForkExec.ExecActivate(K, cpu, _newMm[cpu]);
                _step[cpu] = ExecSwitch;
                return false;
            case ExecSwitch:
            {
                var old = MmOf(op.Process);
                var mm = _newMm[cpu];
                MmOps.SwitchMm(K, cpu, mm);
                _processMm[op.Process] = mm;
                _newMm[cpu] = 0;
                if (--K.Mms.Users[old] == 0)
                {
                    _exitMm[cpu] = old;
                    _step[cpu] = ExecTeardown + ExitLocalDrop;
                }
                else
                {
                    _step[cpu] = ExecMapRegions;
                }

                return false;
            }

            case ExecMapRegions:
            {
                var mm = MmOf(op.Process);
                ForkExec.MapRegions(K, mm, image);
                if (ForkExec.FaultSlices(K, mm, 1) == 0)
                {
                    return true;
                }

                _step[cpu] = ExecFault;
                return false;
            }

            default:
            {
                var mm = MmOf(op.Process);
                ForkExec.FaultSlice(K, cpu, mm, 1, _cursor[cpu]++);
                return _cursor[cpu] >= ForkExec.FaultSlices(K, mm, 1);
            }
        }
    }

    /// <summary>The vmap's steps (<see cref="StepVmap"/>), by number.</summary>
    private const int VmapBatch = 1, VmapLeave = 2, VmapClear = 3;

    /// <summary>
    /// A kernel thread's vmap_pfn of <paramref name="pages"/> pages and their vunmap, one step at each point another
    /// vCPU can see a difference or an IPI can land (mm/vmalloc.c, mm/memory.c apply_to_pte_range, 6.1):
    /// 0. get_vm_area, and apply_to_page_range's walk allocating the vmalloc area's tables if missing
    ///    (pte_alloc_kernel: on the pinned init_mm, xen_alloc_pte pins the L1 and set_pmd is a hypercall).
    /// 1. The pages allocated; arch_enter_lazy_mmu_mode; vmap_pfn_apply's set_pte_at for each page, queued
    ///    (xen_batched_set_pte). init_mm's PTEs take no lock here: interrupts are on, and so is preemption (a context
    ///    switch would flush the batch; the model switches only between operations).
    /// 2. arch_leave_lazy_mmu_mode → xen_leave_lazy_mmu: the batch issued, unless an IPI's handler issued it already.
    /// 3. vunmap → vunmap_pte_range: ptep_get_and_clear (a native exchange on the pinned L1, a ptwr trap) for each
    ///    page, and the pages freed; the TLB flush is left to the lazy purge (free_vmap_area_noflush), which nothing
    ///    in the model reads (no access goes through a vmalloc address).
    /// Each vCPU maps at its own address, <see cref="Layout.VmallocStart"/> + cpu × 16 pages.
    /// </summary>
    private bool StepVmap(int cpu, int pages)
    {
        var va = Layout.VmallocStart + ((ulong)cpu << 16);
        switch (_step[cpu])
        {
            case 0:
                MmOps.PteTableFor(K, cpu, 0, va);
                _step[cpu] = VmapBatch;
                return false;
            case VmapBatch:
            {
                var pte = MmOps.FindPteTable(K, cpu, K.SwapperPgd, va);
                K.Lazy[cpu] = LazyMode.Mmu;
                for (var p = 0; p < pages; p++)
                {
                    var page = K.AllocPage(cpu);
                    PtSetters.SetPte(K, cpu, pte, Layout.PteIndex(va) + p, PageFlags.Entry(page, PteFlags.PageKernel));
                }

                _step[cpu] = VmapLeave;
                return false;
            }

            case VmapLeave:
                ForkExec.LeaveLazyMmu(K, cpu);
                _step[cpu] = VmapClear;
                return false;
            default:
            {
                var pte = MmOps.FindPteTable(K, cpu, K.SwapperPgd, va);
                for (var p = 0; p < pages; p++)
                {
                    var old = K.Xchg(cpu, K.Va(pte) + ((ulong)(Layout.PteIndex(va) + p) * 8), 0);
                    if (PageFlags.IsPresent(old))
                    {
                        K.FreePage(PageFlags.Mfn(old));
                    }
                }

                return true;
            }
        }
    }

    /// <summary>The exit's steps (<see cref="StepExit"/>), by number.</summary>
    private const int ExitLocalDrop = 1, ExitReadCpu = 2, ExitSend = 3, ExitAfterIpis = 4, ExitZap = 5;

    /// <summary>
    /// do_exit → exit_mm, and for the last user exit_mmap, one step at each point another vCPU can see a difference:
    /// 0. exit_mm: mmgrab, enter_lazy_tlb, mmput (the users' count dropped; the end here unless this was the last).
    /// 1. arch_exit_mmap's local part (xen_exit_mmap → xen_drop_mm_ref: drop_mm_ref_this_cpu, or 4.11's local leave).
    /// 2. One other CPU's per-CPU state read (xen_current_cr3, mm_cpumask) per step, in for_each_online_cpu order; on
    ///    the GFP_ATOMIC fallback a match is called at once with smp_call_function_single and waited for.
    /// 3. smp_call_function_many: one target's csd queued and IPI sent per step; then the wait for every target
    ///    (the step is not enabled until each has run the handler).
    /// 4. The rest of the hook (the unpin under page_table_lock).
    /// 5. One zap_pte_range slice per step; then free_pgtables, tlb_finish_mmu and the users' mmdrop.
    /// </summary>
    private bool StepExit(int cpu, int mm)
    {
        if (_step[cpu] != 0)
        {
            if (!StepExitMmap(cpu, mm, 0))
            {
                return false;
            }

            _exitMm[cpu] = 0;
            return true;
        }

        K.Events.Add(cpu, EventKind.Exit);
        K.Mms.Count[mm]++;
        DropLazyRef(cpu);
        _lazyRef[cpu] = mm;
        MmOps.EnterLazyTlb(K, cpu, Strategy.LazyTlbLeavesCpumask);
        if (--K.Mms.Users[mm] > 0)
        {
            return true;
        }

        _exitMm[cpu] = mm;
        _step[cpu] = ExitLocalDrop;
        return false;
    }

    /// <summary>
    /// exit_mmap of <paramref name="mm"/> from its arch hook on (steps 1 to 5 of <see cref="StepExit"/>), numbered from
    /// <paramref name="base"/> in the current operation's steps (an exit's, or an exec's teardown of its old mm);
    /// true once the users' mmdrop has run.
    /// </summary>
    private bool StepExitMmap(int cpu, int mm, int @base)
    {
        switch (_step[cpu] - @base)
        {
            case ExitLocalDrop:
                if (LazyBorrowers(cpu, mm) >= 2)
                {
                    K.Reach(Branch.ExitMmapLazyBorrowers2);
                }

                Strategy.DropLocal(K, cpu, mm);
                _cursor[cpu] = 0;
                _serialLeft[cpu] = 0;
                _step[cpu] = @base + (Strategy.Handler == IpiHandler.None ? ExitAfterIpis : ExitReadCpu);
                return false;
            case ExitReadCpu:
                if (UnorderedWalks)
                {
                    ReadAnyCpu(cpu, mm, @base);
                }
                else
                {
                    ReadCpu(cpu, mm, @base);
                }

                return false;
            case ExitSend:
                if (_serialLeft[cpu] != 0)
                {
                    var t = UnorderedWalks ? SendTarget(cpu) : System.Numerics.BitOperations.TrailingZeroCount(_serialLeft[cpu]);
                    _serialLeft[cpu] &= ~(1UL << t);
                    Post(cpu, t, mm);
                    return false;
                }

                // Every target has run the handler (this step was not enabled before): the wait is over.
                Strategy.AfterIpis(K, cpu, mm);
                _step[cpu] = @base + ExitZap;
                return false;
            case ExitAfterIpis:
                Strategy.AfterIpis(K, cpu, mm);
                _step[cpu] = @base + ExitZap;
                return false;
            case ExitZap:
                if (ExitPath.ZapSlice(K, cpu, mm, _cursor[cpu], _gather[cpu]))
                {
                    _cursor[cpu]++;
                    return false;
                }

                ExitPath.FinishExitMmap(K, cpu, mm, _gather[cpu]);
                ExitPath.MmDrop(K, cpu, mm, Strategy);
                _cursor[cpu] = 0;
                return true;
            default:
                throw new InvalidOperationException($"exit step {_step[cpu]}");
        }
    }

    /// <summary>
    /// The walk's read of CPU <paramref name="t"/> for vCPU <paramref name="cpu"/>: when the strategy's IPI mask takes
    /// it, it joins the mask smp_call_function_many sends to, or under the serial fallback its IPI goes at once (the
    /// caller's own handler run on the spot).
    /// </summary>
    private void TakeIfMasked(int cpu, int t, int mm, bool serial)
    {
        if ((Strategy.IpiMask(K, cpu, mm) & (1UL << t)) == 0)
        {
            return;
        }

        if (!serial)
        {
            _serialLeft[cpu] |= 1UL << t;
        }
        else if (t == cpu)
        {
            K.RunIpi(cpu, Strategy.Handler, mm);
        }
        else
        {
            Post(cpu, t, mm);
        }
    }

    /// <summary>
    /// Step <see cref="ExitReadCpu"/>: CPU <c>_cursor</c>'s per-CPU state read, and whether the IPI mask takes it
    /// (the strategy's mask, of which only this CPU's bit is used now). smp_call_function_many leaves out the caller;
    /// the serial fallback calls it too, on the spot.
    /// </summary>
    private void ReadCpu(int cpu, int mm, int @base)
    {
        var t = _cursor[cpu];
        var serial = Strategy.SerialIpis;
        if (t == cpu && !serial)
        {
            t = ++_cursor[cpu];
        }

        if (t < K.Cpus)
        {
            TakeIfMasked(cpu, t, mm, serial);
        }

        var next = ++_cursor[cpu];
        if (next == cpu && !serial)
        {
            next = ++_cursor[cpu];
        }

        if (next >= K.Cpus)
        {
            _cursor[cpu] = 0;
            _step[cpu] = @base + (serial ? ExitAfterIpis : ExitSend);
        }
    }

    /// <summary>How many other vCPUs lazily hold <paramref name="mm"/> loaded (a kernel thread borrowing it).</summary>
    private int LazyBorrowers(int cpu, int mm)
    {
        var n = 0;
        for (var t = 0; t < K.Cpus; t++)
        {
            n += t != cpu && K.LoadedMm[t] == mm && K.IsLazyTlb[t] ? 1 : 0;
        }

        return n;
    }

    /// <summary>
    /// What the next move of <paramref name="choice"/> runs, named after the real functions: for a counterexample's
    /// timeline (not on a search's hot path).
    /// </summary>
    public string Describe(Move choice)
    {
        var cpu = choice.Cpu;
        if (choice.Kind == MoveKind.TakeIpi)
        {
            var from = UnorderedWalks ? choice.Alt : FifoHead(cpu);
            var handler = from < K.Cpus ? _pendingHandler[(cpu * K.Cpus) + from] : IpiHandler.None;
            var name = handler switch
            {
                IpiHandler.DropOtherMmRef => "drop_other_mm_ref",
                IpiHandler.DropMmRefThisCpu => "drop_mm_ref_this_cpu",
                _ => "handler",
            };
            return $"IPI from v{from}: xen_call_function_interrupt → {name}";
        }

        if (CurrentOp(cpu) is not { } op)
        {
            return "halted";
        }

        var step = _step[cpu];
        var alt = op.Kind == OpKind.Schedule && step == 0 ? choice.Alt : _alt[cpu];
        string Switch(string to) => step switch
        {
            0 => $"switch to {to}: __schedule, IRQs off → xen_start_context_switch (lazy CPU)",
            1 => to == "kthread" || to == "idle" ? $"switch to {to}: enter_lazy_tlb, mmgrab(active_mm)" : $"switch to {to}: switch_mm_irqs_off → xen_write_cr3 (queued)",
            2 => $"switch to {to}: xen_end_context_switch → xen_mc_flush (CR3 issued)",
            3 => $"switch to {to}: finish_task_switch, IRQs on",
            _ => $"switch to {to}: finish_task_switch → mmdrop(prev active_mm)",
        };
        return op.Kind switch
        {
            OpKind.Run => Switch($"P{op.Process}"),
            OpKind.Kthread => Switch("kthread"),
            OpKind.Schedule => Switch(alt switch { 0 => "kthread", 1 => $"P{op.Process}", _ => "idle" }) + (alt == 2 && step == 3 ? " → SCHEDOP_block" : string.Empty),
            OpKind.Exit => step == 0 ? $"exit P{op.Process}: exit_mm → mmgrab, enter_lazy_tlb, mmput" : DescribeExitMmap(cpu, $"exit P{op.Process}", step, choice.Alt),
            OpKind.Fork => step switch
            {
                0 => $"fork P{op.Process}: dup_mmap → mm_alloc, pgd_alloc, vm_area_dup",
                ForkCopy => $"fork P{op.Process}: copy_pte_range page {_cursor[cpu]} → ptep_set_wrprotect, set_pte_at (queued, lazy MMU, IRQs on)",
                ForkLeave => $"fork P{op.Process}: arch_leave_lazy_mmu_mode → xen_mc_flush",
                ForkPin => $"fork P{op.Process}: arch_dup_mmap → xen_dup_mmap (pin the child)",
                _ => $"fork P{op.Process}: flush_tlb_mm(oldmm)",
            },
            OpKind.Exec or OpKind.ExecImage => step switch
            {
                0 => $"exec P{op.Process}: bprm_mm_init → mm_alloc, pgd_alloc, stack VMA",
                ExecStack => $"exec P{op.Process}: copy_strings → stack faults, PTE page {_cursor[cpu]}",
                ExecActivate => $"exec P{op.Process}: exec_mmap → activate_mm → xen_activate_mm (pin)",
                ExecSwitch => $"exec P{op.Process}: activate_mm → switch_mm (CR3 issued), mmput(old mm)",
                > ExecTeardown and < ExecMapRegions => DescribeExitMmap(cpu, $"exec P{op.Process}: old mm", step - ExecTeardown, choice.Alt),
                ExecMapRegions => $"exec P{op.Process}: load_elf_binary → elf_map",
                _ => $"exec P{op.Process}: the program's faults, PTE page {_cursor[cpu]}",
            },
            OpKind.Vmap => step switch
            {
                0 => "kthread vmap_pfn: get_vm_area, apply_to_page_range → pte_alloc_kernel",
                VmapBatch => "kthread vmap_pfn: arch_enter_lazy_mmu_mode, set_pte_at (queued, IRQs on)",
                VmapLeave => "kthread vmap_pfn: arch_leave_lazy_mmu_mode → xen_mc_flush",
                _ => "kthread vunmap: vunmap_pte_range → ptep_get_and_clear, pages freed",
            },
            _ => DescribeMemory(cpu, op) ?? op.ToString(),
        };
    }

    /// <summary><see cref="Describe"/> for exit_mmap's step <paramref name="step"/> (counted as an exit's), prefixed by <paramref name="who"/>.</summary>
    private string DescribeExitMmap(int cpu, string who, int step, int alt) => step switch
    {
        ExitLocalDrop => $"{who}: exit_mmap → {Strategy.Name} arch_exit_mmap, local drop",
        ExitReadCpu => $"{who}: xen_drop_mm_ref reads v{(UnorderedWalks ? alt : _cursor[cpu] == cpu && !Strategy.SerialIpis ? _cursor[cpu] + 1 : _cursor[cpu])}'s xen_current_cr3/mm_cpumask",
        ExitSend => _serialLeft[cpu] != 0
            ? $"{who}: smp_call_function_many → IPI to v{(UnorderedWalks ? alt : System.Numerics.BitOperations.TrailingZeroCount(_serialLeft[cpu]))}"
            : $"{who}: IPIs acknowledged → unpin under page_table_lock",
        ExitAfterIpis => $"{who}: rest of arch_exit_mmap (unpin under page_table_lock)",
        _ => $"{who}: unmap_vmas → zap_pte_range slice {_cursor[cpu]} (or free_pgtables, tlb_finish_mmu, mmdrop)",
    };

    // ---- Snapshots -------------------------------------------------------------------------------------------

    /// <summary>
    /// A copy of the machine's whole state: kernel, hypervisor, and every vCPU's place in its program; the event
    /// counts only with <paramref name="events"/> (a search's snapshots leave them out: they are tallies, not state).
    /// </summary>
    public MachineSnapshot Snapshot(bool events = true) => new(
        K.Snapshot(events),
        (int[])_ints.Clone(),
        (ulong[])_masks.Clone(),
        (bool[])_bools.Clone(),
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
        if (reuse == null || reuse.Gather.Length != _gather.Length || reuse.Ints.Length != _ints.Length || reuse.Masks.Length != _masks.Length)
        {
            return Snapshot();
        }

        var s = reuse;
        s.Kernel = K.SnapshotInto(s.Kernel);
        _ints.AsSpan().CopyTo(s.Ints);
        _masks.AsSpan().CopyTo(s.Masks);
        _bools.AsSpan().CopyTo(s.Bools);
        _pendingHandler.AsSpan().CopyTo(s.PendingHandler);
        for (var c = 0; c < _gather.Length; c++)
        {
            var g = _gather[c];
            if (s.Gather[c].Length < g.Count)
            {
                s.Gather[c] = new uint[Math.Max(g.Count, 2 * s.Gather[c].Length)];
            }

            g.CopyTo(s.Gather[c]);
            s.GatherCount[c] = g.Count;
        }

        s.HistoryLength = History.Count;
        return s;
    }

    /// <summary>Puts the machine back where <paramref name="s"/> was taken; the history is cut back to that point.</summary>
    public void Restore(MachineSnapshot s)
    {
        K.Restore(s.Kernel);
        s.Ints.AsSpan().CopyTo(_ints);
        s.Masks.AsSpan().CopyTo(_masks);
        s.Bools.AsSpan().CopyTo(_bools);
        s.PendingHandler.AsSpan().CopyTo(_pendingHandler);
        for (var c = 0; c < _gather.Length; c++)
        {
            _gather[c].Clear();
            _gather[c].AddRange(s.Gather[c].AsSpan(0, s.GatherCount[c]));
        }

        History.RemoveRange(s.HistoryLength, History.Count - s.HistoryLength);
    }

    /// <summary>
    /// The vCPUs' explored state as the declaration above lists it, for tests that flip every field: each entry is
    /// one store of the state, every row of its type one after another (the gather lists excepted, which the
    /// fingerprint takes whole).
    /// </summary>
    public IReadOnlyList<Array> DeclaredState => [_ints, _masks, _bools, _pendingHandler];

    /// <summary>The kernel's fingerprint combined with every vCPU's place in its program and what is pending.</summary>
    public ulong Fingerprint() => Fingerprint(K.StartFingerprint());

    /// <summary>The same with every page-table page hashed afresh (see <see cref="Kernel.FingerprintFromScratch"/>).</summary>
    public ulong FingerprintFromScratch() => Fingerprint(K.StartFingerprintFromScratch());

    /// <summary>Adds the vCPUs' part to the kernel's in one buffer: one hash call per state, not two.</summary>
    private ulong Fingerprint(FingerprintBuffer b)
    {
        b.Add(_ints);
        b.Add(_masks);
        b.Add(_bools);
        b.Add(_pendingHandler);
        foreach (var g in _gather)
        {
            b.Add((ulong)g.Count);
            b.Add((ReadOnlySpan<uint>)System.Runtime.InteropServices.CollectionsMarshal.AsSpan(g));
        }

        return b.Hash();
    }
}
