using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Sim.Reports;
using PvMmu.Xen;
using PvMmu.Xen.Events;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// The built-in workloads of <c>pvmmu run</c>, each a fixed sequence of kernel operations on chosen vCPUs, counted per
/// phase. The seed chooses which vCPUs play which part; the same seed gives the same run.
/// </summary>
public static class WorkloadRunner
{
    public static IReadOnlyList<string> Names { get; } = ["fork-exit", "fork-exec-exit", "teardown", "lazy-exit"];

    /// <summary>Pages of stack an exec'd program starts with (its argument and stack pages).</summary>
    public const int ExecStackPages = 16;

    private const ulong HeapStart = 0x40_0000UL;

    public static RunResult Run(string workload, IExitStrategy strategy, int vcpus, int pages, ulong seed, XenVersion xen)
    {
        string[] phases = workload switch
        {
            "fork-exit" => ["setup", "fork", "exit"],
            "fork-exec-exit" => ["setup", "fork", "exec", "exit"],
            "teardown" => ["setup", "exit"],
            "lazy-exit" => ["setup", "exit"],
            _ => throw new ArgumentException($"unknown workload '{workload}'; valid: {string.Join(", ", Names)}"),
        };
        if (workload == "lazy-exit" && vcpus < 2)
        {
            throw new ArgumentException("lazy-exit needs at least 2 vCPUs");
        }

        var k = Kernel.Boot(new KernelConfig
        {
            Vcpus = vcpus,
            Frames = (3 * pages) + (pages / 128) + 2048,
            Xen = xen,
            Phases = phases.Length,
        });
        var result = new RunResult(workload, strategy.Name, vcpus, pages, seed, XenRules.Name(xen), phases);
        var rec = new PhaseRecorder(k, result);

        // The process's CPU, and a second one (another CPU when there is one).
        var a = (int)(seed % (ulong)vcpus);
        var b = vcpus == 1 ? a : (a + 1 + (int)(seed / (ulong)vcpus % (ulong)(vcpus - 1))) % vcpus;

        rec.Begin(0);
        var mm = MmOps.CreateMm(k, a);
        MmOps.MapAnonymous(k, mm, HeapStart, pages);
        MmOps.TouchAll(k, a, mm);
        Pinning.PgdPin(k, a, k.Mms.Pgd[mm]);
        MmOps.SwitchMm(k, a, mm);
        switch (workload)
        {
            case "teardown":
                rec.Begin(1);
                Exit(k, a, mm, strategy);
                break;
            case "lazy-exit":
                // The process ran on b, which then switched to a kernel thread that keeps the mm lazily; it exits on a.
                MmOps.SwitchMm(k, b, mm);
                k.Mms.Count[mm]++;
                MmOps.EnterLazyTlb(k, b, strategy.LazyTlbLeavesCpumask);
                rec.Begin(1);
                ExitPath.ExitMm(k, a, mm, strategy);
                Release(k, b, mm, strategy);
                Release(k, a, mm, strategy);
                break;
            case "fork-exit":
            {
                rec.Begin(1);
                var child = ForkExec.Fork(k, a, mm);
                rec.Begin(2);
                MmOps.SwitchMm(k, b, child);
                Exit(k, b, child, strategy);
                break;
            }

            default:
            {
                rec.Begin(1);
                var child = ForkExec.Fork(k, a, mm);
                rec.Begin(2);
                MmOps.SwitchMm(k, b, child);
                var image = ForkExec.Exec(k, b, child, ExecStackPages, strategy);
                rec.Begin(3);
                Exit(k, b, image, strategy);
                break;
            }
        }

        rec.End();
        result.WarningList.AddRange(k.Mc.Warnings);
        result.Oopses.AddRange(k.Oopses);
        result.XenViolations.AddRange(new PvMmu.Xen.Invariants.InvariantChecker().Check(k.Xen));
        return result;
    }

    /// <summary>A process exits on <paramref name="cpu"/>; the CPU then runs another task, dropping its lazy reference.</summary>
    private static void Exit(Kernel k, int cpu, int mm, IExitStrategy strategy)
    {
        ExitPath.ExitMm(k, cpu, mm, strategy);
        Release(k, cpu, mm, strategy);
    }

    private static void Release(Kernel k, int cpu, int mm, IExitStrategy strategy)
    {
        if (k.LoadedMm[cpu] == mm)
        {
            MmOps.SwitchMm(k, cpu, 0);
        }

        ExitPath.MmDrop(k, cpu, mm, strategy);
    }

    /// <summary>Charges events to phases: Xen's counters by their phase index, the guest's by differences.</summary>
    private sealed class PhaseRecorder(Kernel k, RunResult result)
    {
        private int _phase = -1;
        private long _multicalls;
        private long _ipis;
        private int _warnings;

        public void Begin(int phase)
        {
            End();
            _phase = phase;
            k.Xen.Events.Phase = phase;
            _multicalls = k.Mc.Counters.Multicalls;
            _ipis = k.IpisSent;
            _warnings = k.Mc.Warnings.Count;
        }

        public void End()
        {
            if (_phase < 0)
            {
                return;
            }

            foreach (var v in PvMmu.Linux.Invariants.GuestInvariantChecker.Check(k))
            {
                var line = $"{result.Phases[_phase]}: {v}";
                if (!result.GuestViolations.Contains(line))
                {
                    result.GuestViolations.Add(line);
                }
            }

            var e = k.Xen.Events;
            long Xen(XenEvent ev)
            {
                long n = 0;
                for (var v = 0; v < k.Cpus; v++)
                {
                    n += e.Get(_phase, v, ev);
                }

                return n;
            }

            result.Add(_phase, Metric.Hypercalls, Xen(XenEvent.Hypercall));
            result.Add(_phase, Metric.Multicalls, k.Mc.Counters.Multicalls - _multicalls);
            result.Add(_phase, Metric.MulticallEntries, Xen(XenEvent.MulticallEntry));
            result.Add(_phase, Metric.MmuUpdateRequests, Xen(XenEvent.MmuUpdateRequest));
            result.Add(_phase, Metric.MmuextOps, Xen(XenEvent.MmuExtOp));
            result.Add(_phase, Metric.UpdateVaMappings, Xen(XenEvent.UpdateVaMapping));
            result.Add(_phase, Metric.PtwrEmulations, Xen(XenEvent.PtwrEmulation));
            result.Add(_phase, Metric.InjectedFaults, Xen(XenEvent.FaultInjected));
            result.Add(_phase, Metric.Ipis, k.IpisSent - _ipis);
            result.Add(_phase, Metric.LocalFlushes, Xen(XenEvent.LocalFlush));
            result.Add(_phase, Metric.RemoteFlushes, Xen(XenEvent.RemoteFlush));
            result.Add(_phase, Metric.Cr3Loads, Xen(XenEvent.Cr3Load));
            result.Add(_phase, Metric.Validations, Xen(XenEvent.TableValidated));
            result.Add(_phase, Metric.Warnings, k.Mc.Warnings.Count - _warnings);
            _phase = -1;
        }
    }
}
