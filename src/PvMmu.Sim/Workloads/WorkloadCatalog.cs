using PvMmu.Linux.Mm;
using PvMmu.Linux.Sched;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// The built-in workloads, as <see cref="WorkloadSpec"/>s. The small ones (fork-exit, fork-exec-exit, teardown,
/// lazy-exit) map one heap of <c>pages</c> pages and let the seed pick the vCPUs that play each part; lmbench's
/// lat_proc (fork, exec, sh) uses fixed program images on one vCPU; kbuild is the default mix; threads is a
/// multi-threaded process churning on every vCPU.
/// </summary>
public static class WorkloadCatalog
{
    public static IReadOnlyList<string> Names { get; } =
        ["fork-exit", "fork-exec-exit", "teardown", "lazy-exit", "lat-proc-fork", "lat-proc-exec", "lat-proc-sh", "kbuild", "threads"];

    /// <summary>The lmbench lat_proc workloads, in the order lmbench prints them.</summary>
    public static IReadOnlyList<string> Lmbench { get; } = ["lat-proc-fork", "lat-proc-exec", "lat-proc-sh"];

    /// <summary>Pages the process maps and touches in the single-heap workloads.</summary>
    public const int DefaultPages = 1024;

    /// <summary>Pages of stack an exec'd program starts with in the single-heap workloads.</summary>
    public const int ExecStackPages = 16;

    /// <summary>Compile jobs per vCPU in kbuild.</summary>
    public const int KbuildJobsPerVcpu = 4;

    private const ulong HeapStart = 0x40_0000UL;

    public static bool Exists(string name) => Names.Contains(name);

    /// <summary>A built-in workload; throws <see cref="ArgumentException"/> with the valid names for an unknown one.</summary>
    public static WorkloadSpec Build(string name, int vcpus, int pages, ulong seed)
    {
        if (!Exists(name))
        {
            throw new ArgumentException($"unknown workload '{name}'; valid: {string.Join(", ", Names)}");
        }

        if (name == "lazy-exit" && vcpus < 2)
        {
            throw new ArgumentException("lazy-exit needs at least 2 vCPUs");
        }

        return name switch
        {
            "lat-proc-fork" or "lat-proc-exec" or "lat-proc-sh" => LatProc(name, vcpus, seed),
            "kbuild" => Kbuild(vcpus, seed),
            "threads" => Threads(vcpus),
            _ => SingleHeap(name, vcpus, pages, seed),
        };
    }

    private static Op[][] Empty(int vcpus)
    {
        var p = new Op[vcpus][];
        for (var i = 0; i < vcpus; i++)
        {
            p[i] = [];
        }

        return p;
    }

    private static WorkloadSpec SingleHeap(string name, int vcpus, int pages, ulong seed)
    {
        // The process's CPU, and a second one (another CPU when there is one).
        var a = (int)(seed % (ulong)vcpus);
        var b = vcpus == 1 ? a : (a + 1 + (int)(seed / (ulong)vcpus % (ulong)(vcpus - 1))) % vcpus;
        var p = Empty(vcpus);
        switch (name)
        {
            case "teardown":
                p[a] = [new(OpKind.Run, 0), new(OpKind.Exit, 0)];
                break;
            case "lazy-exit":
                // The process ran on b, which then switched to a kernel thread that keeps the mm lazily; it exits on a.
                p[b] = [new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Signal, 0, 0)];
                p[a] = [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)];
                break;
            default:
                // With one vCPU a and b are the same, and the child's part follows the parent's.
                p[a] = [new(OpKind.Run, 0), new(OpKind.Fork, 0, 1), new(OpKind.Signal, 0, 0)];
                Op[] child = name == "fork-exec-exit"
                    ? [new(OpKind.Wait, 0, 0), new(OpKind.Run, 1), new(OpKind.Exec, 1, ExecStackPages), new(OpKind.Exit, 1)]
                    : [new(OpKind.Wait, 0, 0), new(OpKind.Run, 1), new(OpKind.Exit, 1)];
                p[b] = [.. p[b], .. child];
                break;
        }

        return new WorkloadSpec
        {
            Name = name,
            Vcpus = vcpus,
            Images = [new ProcessImage("heap", [new MemoryRegion(HeapStart, pages)], 0)],
            Processes = [new InitialProcess(0, 1, a)],
            Programs = p,
            ProcessSlots = 4,
            Frames = (3 * pages) + (pages / 128) + 1024,
        };
    }

    /// <summary>
    /// lmbench lat_proc (src/lat_proc.c): the parent forks, the child exits (fork), execs hello (exec), or execs
    /// /bin/sh -c hello, which execs hello in its place (sh); the parent's wait returns and it runs again. All on
    /// one vCPU, as lmbench runs it; the others stay idle.
    /// </summary>
    private static WorkloadSpec LatProc(string name, int vcpus, ulong seed)
    {
        var a = (int)(seed % (ulong)vcpus);
        var p = Empty(vcpus);
        var child = new List<Op> { new(OpKind.Run, 0), new(OpKind.Fork, 0, 1), new(OpKind.Run, 1) };
        if (name == "lat-proc-sh")
        {
            child.Add(new(OpKind.ExecImage, 1, 2));
        }

        if (name != "lat-proc-fork")
        {
            child.Add(new(OpKind.ExecImage, 1, 1));
        }

        child.AddRange([new(OpKind.Exit, 1), new(OpKind.Run, 0)]);
        p[a] = [.. child];
        return new WorkloadSpec
        {
            Name = name,
            Vcpus = vcpus,
            Images = [ProgramImages.LatProc, ProgramImages.Hello, ProgramImages.Shell],
            Processes = [new InitialProcess(0, 1, a)],
            Programs = p,
            ProcessSlots = 2,
        };
    }

    /// <summary>
    /// A kernel-build-like mix: on every vCPU a make forks compile jobs; each job's child execs the gcc driver, which
    /// computes and execs cc1 or as (the seed picks), which computes and exits (<see cref="ProgramImages.CompileJob"/>:
    /// user-mode and uncounted kernel work in a measured build's proportion). With several vCPUs the exec of the tool
    /// migrates the job to the next vCPU (sched_exec's SD_BALANCE_EXEC balancing, kernel/sched/core.c): the vCPU it
    /// left switches to a kernel thread that keeps the driver's mm lazily, on every vCPU but the first until the exec
    /// there has dropped it (the exit_mmap of a short-lived mm that another vCPU lazily holds: xen_exit_mmap's IPIs
    /// under Linux61), while vCPU 0 goes on with other work. On one vCPU
    /// a kernel thread borrows the loaded mm lazily between jobs. At the end every make exits.
    /// </summary>
    private static WorkloadSpec Kbuild(int vcpus, ulong seed)
    {
        var p = new List<Op>[vcpus];
        var processes = new InitialProcess[vcpus];
        var rng = new Random((int)(seed % int.MaxValue));
        for (var c = 0; c < vcpus; c++)
        {
            processes[c] = new InitialProcess(0, 1, c);
            p[c] = [];
        }

        for (var j = 0; j < KbuildJobsPerVcpu; j++)
        {
            var tools = new int[vcpus];
            for (var c = 0; c < vcpus; c++)
            {
                tools[c] = rng.Next(3) == 0 ? 3 : 2;
            }

            // Each vCPU: its own job up to the driver's compute and the switch away from it (sched_exec's migration:
            // the stopper, then a kernel thread on the driver's mm); then vCPU 0 takes on the job of the last vCPU from
            // the exec of the tool on (it is busy, so the driver's mm it held lazily is gone) and waits for its own
            // job's old mm to be dropped, while every other vCPU idles lazily on its driver's mm until that drop and
            // then takes on the job of the vCPU before it (no cycle of waits: vCPU 0 starts the chain).
            var migrate = vcpus > 1 && 2 * ((j + 1) * vcpus) <= KbuildFlags;
            for (var c = 0; c < vcpus; c++)
            {
                var child = vcpus + (j * vcpus) + c;
                p[c].AddRange([new(OpKind.Run, c), new(OpKind.Fork, c, child), new(OpKind.Run, child), new(OpKind.ExecImage, child, 1), new(OpKind.Compute, child, 1)]);
                p[c].AddRange(migrate
                    ? [new(OpKind.Kthread), new(OpKind.Signal, 0, Ready(vcpus, j, c))]
                    : [new(OpKind.ExecImage, child, tools[c]), new(OpKind.Compute, child, tools[c]), new(OpKind.Exit, child), new(OpKind.Kthread)]);
            }

            if (!migrate)
            {
                continue;
            }

            for (var v = 0; v < vcpus; v++)
            {
                var from = (v + vcpus - 1) % vcpus;
                var child = vcpus + (j * vcpus) + from;
                Op[] moved = [new(OpKind.Wait, 0, Ready(vcpus, j, from)), new(OpKind.Run, child), new(OpKind.ExecImage, child, tools[from]), new(OpKind.Signal, 0, Ready(vcpus, j, from) + 1), new(OpKind.Compute, child, tools[from]), new(OpKind.Exit, child)];
                var idle = new Op(OpKind.Wait, 0, Ready(vcpus, j, v) + 1);
                p[v].AddRange(v == 0 ? [.. moved, idle] : [idle, .. moved]);
            }
        }

        for (var c = 0; c < vcpus; c++)
        {
            p[c].AddRange([new(OpKind.Run, c), new(OpKind.Exit, c)]);
        }

        return new WorkloadSpec
        {
            Name = "kbuild",
            Vcpus = vcpus,
            Images = [ProgramImages.Make, ProgramImages.GccDriver, ProgramImages.Cc1, ProgramImages.As],
            Processes = processes,
            Programs = [.. p.Select(ops => ops.ToArray())],
            ProcessSlots = vcpus * (1 + KbuildJobsPerVcpu),
        };
    }

    /// <summary>The flags a vCPU program can signal and wait for (Machine's flag array): they bound the migrated jobs.</summary>
    private const int KbuildFlags = 64;

    /// <summary>The flag job <paramref name="j"/> of vCPU <paramref name="c"/> sets once its driver has run (the next one: its old mm dropped).</summary>
    private static int Ready(int vcpus, int j, int c) => 2 * ((j * vcpus) + c);

    /// <summary>
    /// A process with one thread per vCPU: every thread runs, yields to a kernel thread (which borrows the mm
    /// lazily) and runs again, twice; thread 0 also forks a child that execs hello; then every thread exits.
    /// </summary>
    private static WorkloadSpec Threads(int vcpus)
    {
        var p = new Op[vcpus][];
        for (var c = 0; c < vcpus; c++)
        {
            var ops = new List<Op> { new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Run, 0) };
            if (c == 0)
            {
                ops.AddRange([new(OpKind.Fork, 0, 1), new(OpKind.Run, 1), new(OpKind.ExecImage, 1, 1), new(OpKind.Exit, 1), new(OpKind.Run, 0)]);
            }

            ops.AddRange([new(OpKind.Kthread), new(OpKind.Run, 0), new(OpKind.Exit, 0)]);
            p[c] = [.. ops];
        }

        return new WorkloadSpec
        {
            Name = "threads",
            Vcpus = vcpus,
            Images = [ProgramImages.Make, ProgramImages.Hello],
            Processes = [new InitialProcess(0, vcpus, 0)],
            Programs = p,
            ProcessSlots = 2,
        };
    }
}
