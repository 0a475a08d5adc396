using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Models;

/// <summary>
/// The thread's scenarios as vCPU programs over small processes: each scenario names how many processes exist
/// (mapped, touched, pinned), how many threads the first one has, what ran before the race (the setup), and what
/// each vCPU does in it.
/// </summary>
public static class Scenarios
{
    /// <summary>The fewest vCPUs a scenario runs on: each is a race between two of them at least.</summary>
    public const int MinVcpus = 2;

    /// <summary>The most vCPUs <c>pvmmu check</c> and <c>pvmmu replay</c> take for a built-in scenario.</summary>
    public const int MaxVcpus = 16;

    /// <summary>The guest scenarios, run under an exit path.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lazy-exit", "lazy-borrowers", "exit-vs-switch", "threads-exit", "exit-vs-fork", "gfp-atomic-fallback", "lazy-vmap"];

    /// <summary>Every scenario <c>pvmmu check</c> knows: the guest ones and, on the hypervisor alone, xsa-401, xsa-286 and xsa-286-pv64.</summary>
    public static IReadOnlyList<string> AllNames { get; } = [.. Names, "xsa-401", Xsa286Race.Name, Xsa286Pv64Race.Name];

    /// <summary>Whether <paramref name="name"/> runs on the hypervisor model alone, under a Xen variant instead of an exit strategy.</summary>
    public static bool IsHypervisorOnly(string name) => name is "xsa-401" or Xsa286Race.Name or Xsa286Pv64Race.Name;

    /// <summary>
    /// A factory of fresh models for any scenario: a guest scenario under the exit path named
    /// <paramref name="strategyOrOrdering"/>, or xsa-401 under a Xen ordering (<see cref="Xsa401Race.Orderings"/>,
    /// 2 vCPUs only), or xsa-286 (a 32-bit guest) or xsa-286-pv64 under a Xen variant (<see cref="Xsa286Race.Variants"/>,
    /// 2 vCPUs only). An unknown name is an <see cref="ArgumentException"/> that lists the valid ones. With
    /// <paramref name="symmetry"/>, a guest scenario's model is the abstraction of <c>--symmetry on</c>
    /// (<see cref="MachineModel(Machine, bool)"/>); the hypervisor-only races have no interchangeable vCPUs and ignore it.
    /// </summary>
    public static Func<IExplorable> Explorable(string name, string strategyOrOrdering, int vcpus, bool symmetry = false)
    {
        if (name is Xsa286Race.Name or Xsa286Pv64Race.Name)
        {
            if (!Xsa286Race.Variants.Contains(strategyOrOrdering))
            {
                throw new ArgumentException($"{name} runs under a Xen variant, one of {string.Join(", ", Xsa286Race.Variants)}; got '{strategyOrOrdering}'");
            }

            if (vcpus != 2)
            {
                throw new ArgumentException($"{name} is a race of 2 vCPUs");
            }

            return name == Xsa286Race.Name ? () => new Xsa286Race(strategyOrOrdering) : () => new Xsa286Pv64Race(strategyOrOrdering);
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
        return Explorable(name, strategy, vcpus, symmetry);
    }

    /// <summary>A factory of fresh models for the guest scenario <paramref name="name"/> under <paramref name="strategy"/> (a built-in one or a strategy file's).</summary>
    public static Func<IExplorable> Explorable(string name, IExitStrategy strategy, int vcpus, bool symmetry = false)
    {
        if (!Names.Contains(name))
        {
            throw new ArgumentException($"{name} is not a guest scenario; those are {string.Join(", ", Names)}");
        }

        var build = Build(name, strategy, vcpus);
        return () => new MachineModel(build(), symmetry);
    }

    /// <summary>
    /// A factory of fresh machines for the scenario on <paramref name="vcpus"/> vCPUs (2 or more). Each scenario is a
    /// setup (the tasks that ran before the race, run in order) and the race the search explores, in which every vCPU
    /// works: it exits, forks, or schedules freely (<see cref="OpKind.Schedule"/>: a kernel thread, a user task of
    /// another mm, or halt, again and again). examples/check/ has each as a file with what it asks.
    /// </summary>
    public static Func<Machine> Build(string name, IExitStrategy strategy, int vcpus, int pages = 8)
    {
        if (vcpus < MinVcpus)
        {
            throw new ArgumentException($"the scenarios need at least {MinVcpus} vCPUs");
        }

        var shape = Shape(name, vcpus);
        var used = name == "gfp-atomic-fallback" ? new Linux411 { AtomicAllocFails = true } : strategy;
        return () =>
        {
            var k = Kernel.Boot(new KernelConfig { Vcpus = vcpus, Frames = 256 + (shape.Processes * (pages + 8)) + (shape.Forks * (pages + 16)) });
            var procs = new int[8];
            for (var p = 0; p < shape.Processes; p++)
            {
                var mm = MmOps.CreateMm(k, 0);
                MmOps.MapAnonymous(k, mm, 0x40_0000UL, pages);
                MmOps.TouchAll(k, 0, mm);
                Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
                k.Mms.Users[mm] = 1;
                procs[p] = mm;
            }

            k.Mms.Users[procs[0]] = shape.Threads;
            var m = new Machine(k, used, shape.Setup, procs);
            if (!m.Run(new RoundRobinScheduler()))
            {
                throw new InvalidOperationException($"scenario {name}: the setup did not run to its end");
            }

            m.Begin(shape.Race);
            k.Xen.Events.Reset();
            k.Branches = 0;
            return m;
        };
    }

    /// <summary>A scenario's processes (P0 first), P0's threads, forks in the race, and its setup and race programs.</summary>
    private sealed record ScenarioShape(int Processes, int Threads, int Forks, Op[][] Setup, Op[][] Race);

    private static ScenarioShape Shape(string name, int vcpus)
    {
        var setup = new Op[vcpus][];
        var race = new Op[vcpus][];
        Op run0 = new(OpKind.Run, 0), kthread = new(OpKind.Kthread), free = new(OpKind.Schedule, 1), exit0 = new(OpKind.Exit, 0);

        // Every vCPU from `from` on: P0 ran there before it migrated, and the kernel thread that followed it keeps its
        // mm lazily; in the race it schedules freely (with `others` as its schedule op).
        void Borrowers(int from, Op others)
        {
            for (var c = from; c < vcpus; c++)
            {
                setup[c] = [run0, kthread];
                race[c] = [others];
            }
        }

        switch (name)
        {
            // The seed thread's shape: P0 exits on vCPU 0; every other vCPU's kernel thread lazily borrows its mm and
            // then schedules freely among a kernel thread, P1 and halt, taking the exit's IPIs whenever IRQs are on.
            case "lazy-exit":
            case "gfp-atomic-fallback":
                Borrowers(1, free);
                setup[0] = [run0];
                race[0] = [exit0, free];
                return new(2, 1, 0, setup, race);

            // Two or more kernel threads lazily borrow the dying mm at once (from 3 vCPUs): they stay kernel threads
            // (switching among kernel threads) or halt while P0 exits on vCPU 0.
            case "lazy-borrowers":
                Borrowers(1, new(OpKind.Schedule, -1));
                setup[0] = [run0];
                race[0] = [exit0, free];
                return new(2, 1, 0, setup, race);

            // P0's thread on vCPU 1 exits (not the last user) and vCPU 1 then schedules freely (P1 among others) while
            // P0's last thread exits on vCPU 0; further vCPUs lazily borrow P0 and schedule freely.
            case "exit-vs-switch":
                Borrowers(2, free);
                setup[0] = [run0];
                setup[1] = [run0];
                race[1] = [exit0, new(OpKind.Signal, 0, 0), free];
                race[0] = [new(OpKind.Wait, 0, 0), exit0, free];
                return new(2, 2, 0, setup, race);

            // Two threads of P0 exit on vCPUs 0 and 1, in either order, each then scheduling freely; further vCPUs
            // lazily borrow P0 and schedule freely.
            case "threads-exit":
                Borrowers(2, free);
                setup[0] = [run0];
                setup[1] = [run0];
                race[0] = [exit0, free];
                race[1] = [exit0, free];
                return new(2, 2, 0, setup, race);

            // P0 exits on vCPU 0 while P1 on vCPU 1 forks P2, which execs and exits there: the child's pin, the exec's
            // new mm and the second exit's IPIs cross the first exit's. Further vCPUs lazily borrow P0.
            case "exit-vs-fork":
                Borrowers(2, free);
                setup[0] = [run0];
                setup[1] = [new(OpKind.Run, 1)];
                race[0] = [exit0, free];
                race[1] = [new(OpKind.Fork, 1, 2), new(OpKind.Run, 2), new(OpKind.Exec, 2, 2), new(OpKind.Exit, 2), free];
                return new(2, 1, 2, setup, race);
            // The lazy borrowers of the dying mm work in lazy MMU mode: each kernel thread maps a page into the vmalloc
            // area (vmap_pfn → apply_to_page_range: set_pte_at queued, interrupts on) and unmaps it, then schedules
            // freely, while P0 exits on vCPU 0: the exit's IPI can find the batch queued (ipi:queued_multicalls). A
            // vmap in the setup leaves the vmalloc area's page tables in place, as a kernel that has run a while has them.
            case "lazy-vmap":
                for (var c = 1; c < vcpus; c++)
                {
                    setup[c] = [run0, kthread, new(OpKind.Vmap, 0, 1)];
                    race[c] = [new(OpKind.Vmap, 0, 1), free];
                }

                setup[0] = [run0];
                race[0] = [exit0, free];
                return new(2, 1, 0, setup, race);
            default:
                throw new ArgumentException($"unknown scenario '{name}'; valid: {string.Join(", ", Names)}");
        }
    }
}
