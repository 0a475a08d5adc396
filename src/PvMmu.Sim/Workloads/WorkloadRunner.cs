using PvMmu.Events;
using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Sim.Reports;
using PvMmu.Xen;
using PvMmu.Xen.Invariants;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// Runs a workload on the guest and hypervisor models: the initial processes are set up (mapped, touched, pinned),
/// then every vCPU runs its program on the scheduler seam, interleaved by a seeded random scheduler. Events are
/// charged to the phase of the operation that caused them (an IPI's to the exit that sent it). With checking on,
/// the hypervisor's and the guest's invariants are checked after every move. The seed fixes the interleaving (and,
/// in the built-in workloads, the vCPUs' roles).
/// </summary>
public static class WorkloadRunner
{
    /// <summary>The built-in workloads (<see cref="WorkloadCatalog"/>).</summary>
    public static IReadOnlyList<string> Names => WorkloadCatalog.Names;

    /// <summary>
    /// The phases a workload's events are counted in, by name: its processes' setup, then what each move's
    /// operation is (an IPI's handler is the exit's that sent it; a program's compute is compute; everything else, and
    /// the final quiesce, is switch).
    /// </summary>
    public static IReadOnlyList<string> Phases { get; } = ["setup", "switch", "fork", "exec", "exit", "compute"];

    /// <summary>Pages of stack an exec'd program starts with (its argument and stack pages).</summary>
    public const int ExecStackPages = WorkloadCatalog.ExecStackPages;

    /// <summary>A built-in workload by name.</summary>
    public static RunResult Run(string workload, IExitStrategy strategy, int vcpus, int pages, ulong seed, XenVersion xen, bool checkEveryMove = false) =>
        Run(WorkloadCatalog.Build(workload, vcpus, pages, seed), strategy, seed, xen, checkEveryMove, pages);

    /// <summary>
    /// Runs <paramref name="spec"/>; <paramref name="observe"/>, when given, sees every move before it is applied
    /// (with its phase) and the end of the programs (phase −1), for traces. With <paramref name="perTask"/> the sink
    /// keeps its per-task view (<see cref="EventSink.Tasks"/>): each initial process counts its own setup on the vCPU
    /// that builds it, every vCPU then runs the idle task until its program switches, and the view is synced at the end.
    /// </summary>
    /// <remarks>
    /// On <see cref="Platform.Native"/> the guest boots with the native pv_ops on the bare machine and exits by
    /// <see cref="NativeExit"/> whatever <paramref name="strategy"/> is (the exit strategies are Xen's); the
    /// hypervisor's invariants are not checked (there is no hypervisor), the guest's are.
    /// </remarks>
    public static RunResult Run(WorkloadSpec spec, IExitStrategy strategy, ulong seed, XenVersion xen, bool checkEveryMove = false, int pages = 0, Action<Machine, Move, int>? observe = null, bool perTask = false, Platform platform = Platform.XenPv)
    {
        var native = platform == Platform.Native;
        if (native)
        {
            strategy = new NativeExit();
        }

        var events = new EventSink(spec.Vcpus, Phases);
        var phases = new PhaseIds(events);
        var k = Kernel.Boot(
            new KernelConfig
            {
                Vcpus = spec.Vcpus,
                Frames = spec.FramesNeeded(),
                Mms = spec.MmsNeeded(),
                Xen = xen,
                Platform = platform,
            },
            events);
        if (pages == 0)
        {
            foreach (var p in spec.Processes)
            {
                pages += spec.Images[p.Image].TotalPages;
            }
        }

        var result = new RunResult(spec.Name, strategy.Name, spec.Vcpus, pages, seed, native ? "none (native)" : XenRules.Name(xen), events);
        var tasks = perTask ? events.EnableTasks() : null;
        var processMm = new int[Math.Max(spec.ProcessSlots, spec.Processes.Count)];
        for (var i = 0; i < spec.Processes.Count; i++)
        {
            var p = spec.Processes[i];
            tasks?.Switch(p.Cpu, tasks.Register(TaskNames.Process(spec.ProcessNames, i)));
            processMm[i] = SetUp(k, strategy, spec.Images[p.Image], p.Cpu);
            k.Mms.Users[processMm[i]] = p.Threads;
        }

        for (var v = 0; tasks is not null && v < spec.Vcpus; v++)
        {
            tasks.Switch(v, tasks.Idle);
        }

        var machine = Start(k, strategy, spec, processMm);

        var scheduler = new SeededRandomScheduler(seed + 1);
        var phase = 0;
        var moves = new RunObserver(
            choice =>
            {
                phase = phases.Of(machine, choice);
                events.Phase = phase;
                observe?.Invoke(machine, choice, phase);
            },
            choice =>
            {
                if (checkEveryMove)
                {
                    var errors = GuestInvariantChecker.Check(k, machine.InContextSwitch);
                    if (!native)
                    {
                        errors.AddRange(new InvariantChecker().Check(k.Xen).Select(e => "xen: " + e));
                    }

                    foreach (var e in errors)
                    {
                        var line = $"after move {machine.History.Count} ({choice}, {machine.CurrentOp(choice.Cpu)?.ToString() ?? "idle"}): {e}";
                        if (result.GuestViolations.Count < 50)
                        {
                            result.GuestViolations.Add(line);
                        }
                    }
                }

                return true;
            });
        RunEnd end;
        try
        {
            end = RunLoop.Run(machine, scheduler, moves);
        }
        catch (InvalidOperationException e) when (e.Message == "out of guest memory")
        {
            // Kernel.AllocPage found no free page: the run's frames bound every page a run can hold at once, so only
            // a strategy that leaks page-table pages (a refused unpin, then a teardown that cannot free) gets here.
            // It is the run's end and a finding, as an oops is, not an error of the tool.
            result.Oopses.Add($"out of guest memory after move {machine.History.Count} ({spec.FramesNeeded()} frames): page-table pages leaked");
            result.WarningList.AddRange(k.Mc.Warnings);
            result.Oopses.AddRange(k.Oopses);
            result.Schedule.AddRange(machine.History.Select(c => c.ToString()));
            return result;
        }

        if (end == RunEnd.Deadlock)
        {
            result.GuestViolations.Add("deadlock: no vCPU can move; schedule " + string.Join(" ", machine.History));
        }

        events.Phase = phases.Switch;
        observe?.Invoke(machine, default, -1);
        machine.Quiesce();
        foreach (var e in GuestInvariantChecker.Check(k))
        {
            result.GuestViolations.Add("at the end: " + e);
        }

        tasks?.Sync();
        result.WarningList.AddRange(k.Mc.Warnings);
        result.Oopses.AddRange(k.Oopses);
        if (!native)
        {
            result.XenViolations.AddRange(new InvariantChecker().Check(k.Xen));
        }

        result.Schedule.AddRange(machine.History.Select(c => c.ToString()));
        return result;
    }

    /// <summary>
    /// A process as the setup phase builds it: a new mm (pinned at once under an early-pin variant), its image's
    /// regions mapped and every page faulted in, then pinned (it has run).
    /// </summary>
    /// <summary>
    /// A fresh machine for <paramref name="spec"/> under <paramref name="strategy"/>: the kernel booted, the initial
    /// processes set up as <see cref="Run(WorkloadSpec, IExitStrategy, ulong, XenVersion, bool, int, Action{Machine, Move, int}?, bool, Platform)"/>
    /// sets them up, event counts zeroed, no move made. <c>pvmmu check --scenario FILE</c> explores its schedules.
    /// </summary>
    public static Machine NewMachine(WorkloadSpec spec, IExitStrategy strategy)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = spec.Vcpus, Frames = spec.FramesNeeded(), Mms = spec.MmsNeeded() }, new EventSink(spec.Vcpus, Phases));
        var processMm = new int[Math.Max(spec.ProcessSlots, spec.Processes.Count)];
        for (var i = 0; i < spec.Processes.Count; i++)
        {
            var p = spec.Processes[i];
            processMm[i] = SetUp(k, strategy, spec.Images[p.Image], p.Cpu);
            k.Mms.Users[processMm[i]] = p.Threads;
        }

        var m = Start(k, strategy, spec, processMm);
        k.Events.Reset();
        k.Branches = 0;
        return m;
    }

    /// <summary>
    /// The machine at the start of the workload's programs: its setup programs (<see cref="WorkloadSpec.Setup"/>),
    /// if any, run round-robin to their end first, as the built-in check scenarios run theirs.
    /// </summary>
    private static Machine Start(Kernel k, IExitStrategy strategy, WorkloadSpec spec, int[] processMm)
    {
        // The files' pages are in the page cache before anything runs (read in by vCPU 0).
        var files = spec.Files.Count == 0 ? PageCache.Empty : PageCache.Fill(k, 0, spec.Files);
        if (spec.Setup is not { } setup)
        {
            return new Machine(k, strategy, spec.Programs, processMm) { Images = spec.Images, Ranges = spec.Ranges, Files = files, ProcessNames = spec.ProcessNames };
        }

        var m = new Machine(k, strategy, setup, processMm) { Images = spec.Images, Ranges = spec.Ranges, Files = files, ProcessNames = spec.ProcessNames };
        if (!m.Run(new RoundRobinScheduler()))
        {
            throw new ScenarioException(spec.Name, 1, 1, "the setup programs did not run to their end (a wait no step signals?)");
        }

        m.Begin(spec.Programs);
        return m;
    }

    private static int SetUp(Kernel k, IExitStrategy strategy, ProcessImage image, int cpu)
    {
        var mm = MmOps.CreateMm(k, cpu);
        if (strategy.PinAtAlloc)
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }

        foreach (var r in image.Regions)
        {
            MmOps.MapAnonymous(k, mm, r.Start, r.Pages, r.Writable);
        }

        if (image.StackPages > 0)
        {
            MmOps.MapAnonymous(k, mm, ProcessImage.StackTop - ((ulong)image.StackPages << 12), image.StackPages);
        }

        MmOps.TouchAll(k, cpu, mm);
        if (!k.Pinned(k.Mms.Pgd[mm]))
        {
            Pinning.PgdPin(k, cpu, k.Mms.Pgd[mm]);
        }

        return mm;
    }

    /// <summary>The phases a move can be charged to, looked up by name once per run.</summary>
    private readonly record struct PhaseIds(int Switch, int Fork, int Exec, int Exit, int Compute)
    {
        public PhaseIds(EventSink events)
            : this(events.PhaseIndex("switch"), events.PhaseIndex("fork"), events.PhaseIndex("exec"), events.PhaseIndex("exit"), events.PhaseIndex("compute"))
        {
        }

        /// <summary>The phase of the move <paramref name="c"/>: its operation's, an IPI's handler the exit's that sent it.</summary>
        public int Of(Machine m, Move c)
        {
            if (c.Kind == MoveKind.TakeIpi)
            {
                return Exit;
            }

            return m.CurrentOp(c.Cpu)?.Kind switch
            {
                OpKind.Fork => Fork,
                OpKind.Exec or OpKind.ExecImage => Exec,
                OpKind.Exit => Exit,
                OpKind.Compute => Compute,
                _ => Switch,
            };
        }
    }
}
