using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Sim.Reports;
using PvMmu.Xen;
using PvMmu.Xen.Events;
using PvMmu.Xen.Invariants;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// The built-in workloads of <c>pvmmu run</c>: a process is set up (mapped, touched, pinned), then every vCPU runs a
/// program on the scheduler seam, interleaved by a seeded random scheduler. Events are charged to the phase of the
/// operation that caused them (an IPI's to the exit that sent it). With checking on, the hypervisor's and the guest's
/// invariants are checked after every move. The seed fixes the vCPUs' roles and the interleaving.
/// </summary>
public static class WorkloadRunner
{
    public static IReadOnlyList<string> Names { get; } = ["fork-exit", "fork-exec-exit", "teardown", "lazy-exit"];

    public static IReadOnlyList<string> Phases { get; } = ["setup", "switch", "fork", "exec", "exit"];

    /// <summary>Pages of stack an exec'd program starts with (its argument and stack pages).</summary>
    public const int ExecStackPages = 16;

    private const ulong HeapStart = 0x40_0000UL;

    public static RunResult Run(string workload, IExitStrategy strategy, int vcpus, int pages, ulong seed, XenVersion xen, bool checkEveryMove = false)
    {
        if (!Names.Contains(workload))
        {
            throw new ArgumentException($"unknown workload '{workload}'; valid: {string.Join(", ", Names)}");
        }

        if (workload == "lazy-exit" && vcpus < 2)
        {
            throw new ArgumentException("lazy-exit needs at least 2 vCPUs");
        }

        var k = Kernel.Boot(new KernelConfig
        {
            Vcpus = vcpus,
            Frames = (3 * pages) + (pages / 128) + 1024,
            Xen = xen,
            Phases = Phases.Count,
        });
        var result = new RunResult(workload, strategy.Name, vcpus, pages, seed, XenRules.Name(xen), Phases);

        // The process's CPU, and a second one (another CPU when there is one).
        var a = (int)(seed % (ulong)vcpus);
        var b = vcpus == 1 ? a : (a + 1 + (int)(seed / (ulong)vcpus % (ulong)(vcpus - 1))) % vcpus;

        var mm = MmOps.CreateMm(k, a);
        MmOps.MapAnonymous(k, mm, HeapStart, pages);
        MmOps.TouchAll(k, a, mm);
        Pinning.PgdPin(k, a, k.Mms.Pgd[mm]);
        var counts = new GuestCounts();
        Charge(k, result, 0, counts);

        var programs = Programs(workload, vcpus, a, b);
        var machine = new Machine(k, strategy, programs, [mm, 0, 0, 0]);
        var scheduler = new SeededRandomScheduler(seed + 1);
        while (!machine.Done)
        {
            var enabled = machine.Enabled();
            if (enabled.Length == 0)
            {
                result.GuestViolations.Add("deadlock: no vCPU can move; schedule " + string.Join(" ", machine.History));
                break;
            }

            var choice = enabled[scheduler.Choose(enabled)];
            var phase = PhaseOf(machine, choice);
            k.Xen.Events.Phase = phase;
            machine.Apply(choice);
            Charge(k, result, phase, counts);
            if (checkEveryMove)
            {
                var errors = GuestInvariantChecker.Check(k, machine.InContextSwitch);
                errors.AddRange(new InvariantChecker().Check(k.Xen).Select(e => "xen: " + e));
                foreach (var e in errors)
                {
                    var line = $"after move {machine.History.Count} ({choice}, {machine.CurrentOp(choice.Cpu)?.ToString() ?? "idle"}): {e}";
                    if (result.GuestViolations.Count < 50)
                    {
                        result.GuestViolations.Add(line);
                    }
                }
            }
        }

        k.Xen.Events.Phase = 1;
        machine.Quiesce();
        Charge(k, result, 1, counts);
        foreach (var e in GuestInvariantChecker.Check(k))
        {
            result.GuestViolations.Add("at the end: " + e);
        }

        CollectXen(k, result);
        result.WarningList.AddRange(k.Mc.Warnings);
        result.Oopses.AddRange(k.Oopses);
        result.XenViolations.AddRange(new InvariantChecker().Check(k.Xen));
        result.Schedule.AddRange(machine.History.Select(c => c.ToString()));
        return result;
    }

    private static Op[][] Programs(string workload, int vcpus, int a, int b)
    {
        var p = new List<Op>[vcpus];
        for (var i = 0; i < vcpus; i++)
        {
            p[i] = [];
        }

        switch (workload)
        {
            case "teardown":
                p[a].AddRange([new(OpKind.Run, 0), new(OpKind.Exit, 0)]);
                break;
            case "lazy-exit":
                // The process ran on b, which then switched to a kernel thread that keeps the mm lazily; it exits on a.
                p[b].AddRange([new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Signal, 0, 0)]);
                p[a].AddRange([new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)]);
                break;
            default:
                p[a].AddRange([new(OpKind.Run, 0), new(OpKind.Fork, 0, 1), new(OpKind.Signal, 0, 0)]);
                p[b].AddRange([new(OpKind.Wait, 0, 0), new(OpKind.Run, 1)]);
                if (workload == "fork-exec-exit")
                {
                    p[b].Add(new(OpKind.Exec, 1, ExecStackPages));
                }

                p[b].Add(new(OpKind.Exit, 1));
                break;
        }

        return [.. p.Select(x => x.ToArray())];
    }

    private static int PhaseOf(Machine m, Choice c)
    {
        if (c.Kind == ChoiceKind.TakeIpi)
        {
            return 4;
        }

        return m.CurrentOp(c.Cpu)?.Kind switch
        {
            OpKind.Fork => 2,
            OpKind.Exec => 3,
            OpKind.Exit => 4,
            _ => 1,
        };
    }

    /// <summary>The guest-side counters last charged, so that each move's difference goes to its phase (Xen keeps its own per phase).</summary>
    private sealed class GuestCounts
    {
        public long Multicalls { get; set; }

        public long Ipis { get; set; }

        public int Warnings { get; set; }
    }

    private static void Charge(Kernel k, RunResult result, int phase, GuestCounts c)
    {
        result.Add(phase, Metric.Multicalls, k.Mc.Counters.Multicalls - c.Multicalls);
        result.Add(phase, Metric.Ipis, k.IpisSent - c.Ipis);
        result.Add(phase, Metric.Warnings, k.Mc.Warnings.Count - c.Warnings);
        c.Multicalls = k.Mc.Counters.Multicalls;
        c.Ipis = k.IpisSent;
        c.Warnings = k.Mc.Warnings.Count;
    }

    /// <summary>Fills the hypervisor-side metrics of every phase from Xen's per-phase counters.</summary>
    public static void CollectXen(Kernel k, RunResult result)
    {
        var e = k.Xen.Events;
        for (var phase = 0; phase < result.Phases.Count; phase++)
        {
            long Sum(XenEvent ev)
            {
                long n = 0;
                for (var v = 0; v < k.Cpus; v++)
                {
                    n += e.Get(phase, v, ev);
                }

                return n;
            }

            result.Add(phase, Metric.Hypercalls, Sum(XenEvent.Hypercall));
            result.Add(phase, Metric.MulticallEntries, Sum(XenEvent.MulticallEntry));
            result.Add(phase, Metric.MmuUpdateRequests, Sum(XenEvent.MmuUpdateRequest));
            result.Add(phase, Metric.MmuextOps, Sum(XenEvent.MmuExtOp));
            result.Add(phase, Metric.UpdateVaMappings, Sum(XenEvent.UpdateVaMapping));
            result.Add(phase, Metric.PtwrEmulations, Sum(XenEvent.PtwrEmulation));
            result.Add(phase, Metric.InjectedFaults, Sum(XenEvent.FaultInjected));
            result.Add(phase, Metric.LocalFlushes, Sum(XenEvent.LocalFlush));
            result.Add(phase, Metric.RemoteFlushes, Sum(XenEvent.RemoteFlush));
            result.Add(phase, Metric.Cr3Loads, Sum(XenEvent.Cr3Load));
            result.Add(phase, Metric.Validations, Sum(XenEvent.TableValidated));
        }
    }
}
