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
    /// execs cc1 or as (the seed picks), then exits; between jobs a kernel thread borrows the loaded mm lazily. At the
    /// end every make exits.
    /// </summary>
    private static WorkloadSpec Kbuild(int vcpus, ulong seed)
    {
        var p = new Op[vcpus][];
        var processes = new InitialProcess[vcpus];
        var rng = new Random((int)(seed % int.MaxValue));
        for (var c = 0; c < vcpus; c++)
        {
            processes[c] = new InitialProcess(0, 1, c);
            var child = vcpus + c;
            var ops = new List<Op>();
            for (var j = 0; j < KbuildJobsPerVcpu; j++)
            {
                var tool = rng.Next(3) == 0 ? 3 : 2;
                ops.AddRange([new(OpKind.Run, c), new(OpKind.Fork, c, child), new(OpKind.Run, child), new(OpKind.ExecImage, child, 1), new(OpKind.ExecImage, child, tool), new(OpKind.Exit, child), new(OpKind.Kthread)]);
            }

            ops.AddRange([new(OpKind.Run, c), new(OpKind.Exit, c)]);
            p[c] = [.. ops];
        }

        return new WorkloadSpec
        {
            Name = "kbuild",
            Vcpus = vcpus,
            Images = [ProgramImages.Make, ProgramImages.GccDriver, ProgramImages.Cc1, ProgramImages.As],
            Processes = processes,
            Programs = p,
            ProcessSlots = 2 * vcpus,
        };
    }

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
