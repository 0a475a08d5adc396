using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;

namespace PvMmu.Sim.Tests.Workloads;

/// <summary>
/// The per-task view of a run (<c>run --json</c>'s <c>events</c>): each process's events go to it, on the vCPU it
/// ran on, with the counts of docs/linux-paths.md's teardown formulas; the tasks, the vCPUs and the totals agree.
/// </summary>
public sealed class TaskCountTests
{
    /// <summary>
    /// Two processes, each on its own vCPU: alpha maps 600 pages at 4 MiB and 4 stack pages (T1 = 2 + 1 PTE pages,
    /// T2 = 2 PMD pages, T3 = 2 PUD pages: pgd slots 0 and 255); beta 100 pages at 4 MiB, 50 at 1 GiB (another PMD
    /// page) and 2 stack pages (T1 = 3, T2 = 3, T3 = 2).
    /// </summary>
    private const string TwoProcesses = """
        name: two-processes
        vcpus: 2
        images:
          a: { stack: 4, regions: [ { start: 0x400000, pages: 600 } ] }
          b: { stack: 2, regions: [ { start: 0x400000, pages: 100 }, { start: 0x40000000, pages: 50 } ] }
        processes:
          - { name: alpha, image: a, cpu: 0 }
          - { name: beta, image: b, cpu: 1 }
        programs:
          0:
            - run: alpha
            - exit: alpha
          1:
            - run: beta
            - exit: beta
        """;

    private static RunResult Run(string yaml, IExitStrategy strategy, ulong seed) =>
        WorkloadRunner.Run(WorkloadFile.Parse(yaml, "two-processes.yaml"), strategy, seed, XenVersion.Current, true, 0, null, perTask: true);

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(7UL)]
    public void EachProcessesTeardownIsCountedForItOnItsVcpu(ulong seed)
    {
        var r = Run(TwoProcesses, new NoExitUnpin(), seed);
        Assert.Empty(r.GuestViolations);
        var tasks = r.Events.Tasks!;
        var exit = r.Events.PhaseIndex("exit");
        var alpha = tasks.Names.ToList().IndexOf("alpha");
        var beta = tasks.Names.ToList().IndexOf("beta");
        foreach (var (task, vcpu, present, t1, t2, t3) in new[] { (alpha, 0, 600 + 4, 3, 2, 2), (beta, 1, 100 + 50 + 2, 3, 3, 2) })
        {
            // NoExitUnpin: the tables stay pinned through the teardown, so every present PTE's clear traps (ptwr);
            // free_pgtables clears T1 PMD, T2 PUD and T3 P4D entries and releases T1 + T2 + T3 tables.
            Assert.Equal(present, tasks.Get(exit, task, vcpu, EventKind.PtwrEmulation));
            Assert.Equal(t1, tasks.Get(exit, task, vcpu, EventKind.SetPmd));
            Assert.Equal(t2, tasks.Get(exit, task, vcpu, EventKind.SetPud));
            Assert.Equal(t3, tasks.Get(exit, task, vcpu, EventKind.SetP4d));
            Assert.Equal(t1 + t2 + t3, tasks.Get(exit, task, vcpu, EventKind.ReleasePtpage));
            Assert.False(tasks.Ran(task, 1 - vcpu));
        }

        AssertTheViewsAgree(r);
    }

    [Fact]
    public void ASwitchCountsForTheTaskSwitchedAwayFromUntilSwitchToIsDone()
    {
        // __switch_to writes current_task after arch_end_context_switch: the CR3 writes of switch_mm_irqs_off and
        // the batch flushed by xen_end_context_switch happen while the previous task (here the idle task) is current.
        var r = Run(TwoProcesses, new Linux61(), 1);
        var tasks = r.Events.Tasks!;
        var sw = r.Events.PhaseIndex("switch");
        foreach (var name in new[] { "alpha", "beta" })
        {
            var t = tasks.Names.ToList().IndexOf(name);
            foreach (var e in EventKinds.Tracepoints)
            {
                Assert.Equal(0, tasks.InTask(sw, t, e));
            }
        }

        // xen_write_cr3 traces the kernel and the user CR3: two per switch into each process's mm.
        Assert.Equal(2 * 2, tasks.InTask(sw, tasks.Idle, EventKind.WriteCr3));
        AssertTheViewsAgree(r);
    }

    [Fact]
    public void OnTheDefaultMixTasksVcpusAndTotalsAgree()
    {
        var r = WorkloadRunner.Run(WorkloadCatalog.Build("kbuild", 2, 1024, 3), new Linux61(), 3, XenVersion.Current, false, 0, null, perTask: true);
        AssertTheViewsAgree(r);

        // Every process slot of the mix (a make and a job per vCPU) ran, and kernel threads on both vCPUs.
        var names = r.Events.Tasks!.Names;
        foreach (var n in new[] { "P0", "P1", "P2", "P3", "kthread/0", "kthread/1" })
        {
            Assert.Contains(n, names);
        }
    }

    /// <summary>Per phase and event: the sum over tasks (per vCPU too) is the sink's own count, tallied here independently.</summary>
    private static void AssertTheViewsAgree(RunResult r)
    {
        var sink = r.Events;
        var tasks = sink.Tasks!;
        for (var p = 0; p < sink.Phases; p++)
        {
            foreach (var e in Enum.GetValues<EventKind>())
            {
                long inPhase = 0;
                for (var v = 0; v < sink.Vcpus; v++)
                {
                    long onVcpu = 0;
                    for (var t = 0; t < tasks.Names.Count; t++)
                    {
                        onVcpu += tasks.Get(p, t, v, e);
                    }

                    Assert.Equal(sink.Get(p, v, e), onVcpu);
                    inPhase += onVcpu;
                }

                Assert.Equal(sink.InPhase(p, e), inPhase);
            }
        }
    }
}
