using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Models;

/// <summary>
/// The thread's scenarios (spec linux-xen-pv-guest §10) as vCPU programs over small processes: each scenario names
/// how many processes exist (mapped, touched, pinned, running nowhere yet), how many threads the first one has, and
/// what each vCPU does.
/// </summary>
public static class Scenarios
{
    /// <summary>The fewest vCPUs a scenario runs on: each is a race between two of them at least.</summary>
    public const int MinVcpus = 2;

    /// <summary>The most vCPUs <c>pvmmu check</c> and <c>pvmmu replay</c> take for a built-in scenario.</summary>
    public const int MaxVcpus = 16;

    /// <summary>The guest scenarios, run under an exit path.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lazy-exit", "exit-vs-switch", "threads-exit", "gfp-atomic-fallback"];

    /// <summary>Every scenario <c>pvmmu check</c> knows: the guest ones and, on the hypervisor alone, xsa-401 and xsa-286.</summary>
    public static IReadOnlyList<string> AllNames { get; } = [.. Names, "xsa-401", "xsa-286"];

    /// <summary>Whether <paramref name="name"/> runs on the hypervisor model alone, under a Xen variant instead of an exit strategy.</summary>
    public static bool IsHypervisorOnly(string name) => name is "xsa-401" or "xsa-286";

    /// <summary>
    /// A factory of fresh models for any scenario: a guest scenario under the exit path named
    /// <paramref name="strategyOrOrdering"/>, or xsa-401 under a Xen ordering (<see cref="Xsa401Race.Orderings"/>,
    /// 2 vCPUs only), or xsa-286 under a Xen variant (<see cref="Xsa286Race.Variants"/>, 2 vCPUs only). An unknown name is an <see cref="ArgumentException"/> that lists the valid ones.
    /// </summary>
    public static Func<IExplorable> Explorable(string name, string strategyOrOrdering, int vcpus)
    {
        if (name == "xsa-286")
        {
            if (!Xsa286Race.Variants.Contains(strategyOrOrdering))
            {
                throw new ArgumentException($"xsa-286 runs under a Xen variant, one of {string.Join(", ", Xsa286Race.Variants)}; got '{strategyOrOrdering}'");
            }

            if (vcpus != 2)
            {
                throw new ArgumentException("xsa-286 is a race of 2 vCPUs");
            }

            return () => new Xsa286Race(strategyOrOrdering);
        }

        if (name == "xsa-401")
        {
            if (!Xsa401Race.Orderings.Contains(strategyOrOrdering))
            {
                throw new ArgumentException($"xsa-401 runs under a Xen ordering, one of {string.Join(", ", Xsa401Race.Orderings)}; got '{strategyOrOrdering}'");
            }

            if (vcpus != 2)
            {
                throw new ArgumentException("xsa-401 is a race of 2 vCPUs");
            }

            var pre = strategyOrOrdering == "pre-xsa-401";
            return () => new Xsa401Race(pre);
        }

        var strategy = ExitStrategies.Find(strategyOrOrdering) ?? throw new ArgumentException($"unknown strategy \"{strategyOrOrdering}\"; valid: {ExitStrategies.Names}");
        var build = Build(name, strategy, vcpus);
        return () => new MachineModel(build());
    }

    /// <summary>A factory of fresh machines for the scenario on <paramref name="vcpus"/> vCPUs (2 or more).</summary>
    public static Func<Machine> Build(string name, IExitStrategy strategy, int vcpus, int pages = 8)
    {
        if (vcpus < MinVcpus)
        {
            throw new ArgumentException($"the scenarios need at least {MinVcpus} vCPUs");
        }

        var (processes, threads, programs) = name switch
        {
            // P0 ran on vCPU 1, whose kernel thread keeps its mm; P0 exits on vCPU 0. Other vCPUs run kernel threads.
            "lazy-exit" or "gfp-atomic-fallback" => (1, 1, Programs(vcpus,
                [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)],
                [new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Signal, 0, 0)])),

            // P0's thread on vCPU 1 exits and vCPU 1 switches to P1 while P0's last thread exits on vCPU 0.
            "exit-vs-switch" => (2, 2, Programs(vcpus,
                [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)],
                [new(OpKind.Run, 0), new(OpKind.Signal, 0, 0), new(OpKind.Exit, 0), new(OpKind.Run, 1)])),

            // Two threads of P0 exit on different vCPUs, in either order.
            "threads-exit" => (1, 2, Programs(vcpus,
                [new(OpKind.Run, 0), new(OpKind.Exit, 0)],
                [new(OpKind.Run, 0), new(OpKind.Exit, 0)])),
            _ => throw new ArgumentException($"unknown scenario '{name}'; valid: {string.Join(", ", Names)}"),
        };
        var used = name == "gfp-atomic-fallback" ? new Linux411 { AtomicAllocFails = true } : strategy;
        return () =>
        {
            var k = Kernel.Boot(new KernelConfig { Vcpus = vcpus, Frames = 256 + (processes * (pages + 8)) });
            var procs = new int[8];
            for (var p = 0; p < processes; p++)
            {
                var mm = MmOps.CreateMm(k, 0);
                MmOps.MapAnonymous(k, mm, 0x40_0000UL, pages);
                MmOps.TouchAll(k, 0, mm);
                Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
                procs[p] = mm;
            }

            k.Mms.Users[procs[0]] = threads;
            k.Xen.Events.Reset();
            return new Machine(k, used, programs, procs);
        };
    }

    /// <summary>vCPU 0 and 1 get the two programs; every further vCPU runs P0 once and then a kernel thread.</summary>
    private static Op[][] Programs(int vcpus, Op[] cpu0, Op[] cpu1)
    {
        var p = new Op[vcpus][];
        p[0] = cpu0;
        p[1] = cpu1;
        for (var c = 2; c < vcpus; c++)
        {
            p[c] = [new(OpKind.Kthread)];
        }

        return p;
    }
}
