using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Invariants;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Xen.Invariants;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The thread's scenarios under the scheduler seam: every interleaving a round-robin or seeded random scheduler
/// picks must keep the upstream exit paths clean, and the broken ones must be caught.
/// </summary>
public sealed class ScheduledTests
{
    private static readonly string[] Upstream = ["Linux411", "Linux413", "Linux414", "Linux61", "NoExitUnpin", "TryUnpin"];

    private static (Machine M, int[] Procs) Build(IExitStrategy strategy, Op[][] programs, int processes, int threadsOfP0)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = programs.Length, Frames = 2048 });
        var procs = new int[8];
        for (var p = 0; p < processes; p++)
        {
            var mm = MmOps.CreateMm(k, 0);
            MmOps.MapAnonymous(k, mm, 0x40_0000UL, 16);
            MmOps.TouchAll(k, 0, mm);
            Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
            procs[p] = mm;
        }

        k.Mms.Users[procs[0]] = threadsOfP0;
        return (new Machine(k, strategy, programs, procs), procs);
    }

    /// <summary>The lazy-exit scenario: P0 ran on vCPU 1, whose kernel thread keeps its mm; P0 exits on vCPU 0.</summary>
    private static Op[][] LazyExit() =>
    [
        [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Touch, 0, 4), new(OpKind.Exit, 0)],
        [new(OpKind.Run, 0), new(OpKind.Kthread), new(OpKind.Signal, 0, 0)],
    ];

    /// <summary>
    /// The exit-vs-switch race: two threads of P0; the one on vCPU 1 exits and vCPU 1 switches to P1 (its CR3 switch
    /// queued, xen_current_cr3 not yet updated) while the last thread exits on vCPU 0.
    /// </summary>
    private static Op[][] ExitVsSwitch() =>
    [
        [new(OpKind.Wait, 0, 0), new(OpKind.Run, 0), new(OpKind.Exit, 0)],
        [new(OpKind.Run, 0), new(OpKind.Signal, 0, 0), new(OpKind.Exit, 0), new(OpKind.Run, 1)],
    ];

    private static List<string> RunAndCheck(Machine m, IScheduler s)
    {
        Assert.True(m.Run(s), "deadlock: " + string.Join(" ", m.History));
        m.Quiesce();
        var errors = GuestInvariantChecker.Check(m.K);
        errors.AddRange(new InvariantChecker().Check(m.K.Xen).Select(e => "xen: " + e));
        return errors;
    }

    public static TheoryData<string> UpstreamNames() => [.. Upstream];

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(UpstreamNames))]
    public void UpstreamPathsAreCleanUnderEveryScheduleTried(string name)
    {
        foreach (var (programs, procs, threads) in new[] { (LazyExit(), 1, 1), (ExitVsSwitch(), 2, 2) })
        {
            var (rr, _) = Build(ExitStrategies.Find(name)!, programs, procs, threads);
            Assert.Empty(RunAndCheck(rr, new RoundRobinScheduler()));
            for (ulong seed = 1; seed <= 100; seed++)
            {
                var (m, p) = Build(ExitStrategies.Find(name)!, programs, procs, threads);
                var errors = RunAndCheck(m, new SeededRandomScheduler(seed));
                Assert.True(errors.Count == 0, $"{name} seed {seed}: {string.Join("; ", errors)} after {string.Join(" ", m.History)}");
                Assert.False(m.K.Mms.Live[p[0]]);
            }
        }
    }

    [Theory]
    [InlineData("BrokenNoDropMmRef")]
    [InlineData("BrokenCpumaskOnly")]
    public void BrokenPathsWarnUnderSomeSchedule(string name)
    {
        foreach (var (programs, procs, threads) in new[] { (LazyExit(), 1, 1), (ExitVsSwitch(), 2, 2) })
        {
            var caught = 0;
            for (ulong seed = 1; seed <= 100; seed++)
            {
                var (m, _) = Build(ExitStrategies.Find(name)!, programs, procs, threads);
                Assert.True(m.Run(new SeededRandomScheduler(seed)));
                caught += m.K.Mc.Warnings.Count > 0 ? 1 : 0;
            }

            Assert.True(caught > 0, $"{name}: no schedule of 100 showed the failed unpin");
        }
    }

    [Fact]
    public void ExitVsSwitchMakesTheExitWaitForTheSwitchingCpu()
    {
        // Drive the race by hand: vCPU 1 queues its switch to P1, then vCPU 0 exits P0's last thread. A context
        // switch is four steps (IRQs off and lazy CPU mode; switch_mm, CR3 queued; xen_mc_flush; IRQs on) and a
        // fifth when finish_task_switch has a lazily borrowed mm to drop.
        var (m, procs) = Build(new Linux61(), ExitVsSwitch(), 2, 2);
        Move v0 = new(0, MoveKind.Step), v1 = new(1, MoveKind.Step);
        void Steps(Move c, int n)
        {
            for (var i = 0; i < n; i++)
            {
                m.Apply(c);
            }
        }

        Steps(v1, 4);                             // vCPU 1: run P0 (nothing borrowed to drop)
        Steps(v1, 1);                             // signal
        Steps(v1, 1);                             // exit P0 (2 → 1 users): exit_mm only
        Steps(v1, 2);                             // run P1: IRQs off, then switch_mm — CR3 switch queued
        Assert.Equal(m.K.Mms.Pgd[procs[0]], m.K.XenCurrentCr3[1]);
        Steps(v0, 1 + 4);                         // vCPU 0: wait, run P0
        Steps(v0, 1 + 1);                         // exit: exit_mm (last user), arch_exit_mmap's local drop
        Steps(v0, 1);                             // xen_drop_mm_ref reads vCPU 1: xen_current_cr3 still names P0
        Steps(v0, 1);                             // smp_call_function_many: the IPI to vCPU 1
        Assert.DoesNotContain(new Move(1, MoveKind.TakeIpi), m.Enabled().ToArray());
        Assert.DoesNotContain(v0, m.Enabled().ToArray());
        Steps(v1, 1);                             // vCPU 1: xen_mc_flush issues the CR3 switch, IRQs still off
        Assert.Equal(m.K.Mms.Pgd[procs[1]], m.K.XenCurrentCr3[1]);
        Assert.DoesNotContain(new Move(1, MoveKind.TakeIpi), m.Enabled().ToArray());
        Steps(v1, 1);                             // finish_task_switch: IRQs on
        Assert.Contains(new Move(1, MoveKind.TakeIpi), m.Enabled().ToArray());
        m.Apply(new Move(1, MoveKind.TakeIpi));
        Assert.True(m.Run(new RoundRobinScheduler()));
        Assert.Empty(m.K.Mc.Warnings);
        Assert.Equal(1, m.K.IpisSent);
    }

    [Fact]
    public void ASnapshotRewindsTheWholeMachineAndTheSameMovesReachTheSameState()
    {
        var (m, _) = Build(new Linux61(), ExitVsSwitch(), 2, 2);
        var scheduler = new SeededRandomScheduler(42);
        for (var i = 0; i < 6; i++)
        {
            var enabled = m.Enabled();
            m.Apply(enabled[scheduler.Choose(enabled)]);
        }

        var snapshot = m.Snapshot();
        var middle = m.Fingerprint();
        var rest = new List<Move>();
        while (!m.Done)
        {
            var enabled = m.Enabled();
            var c = enabled[scheduler.Choose(enabled)];
            rest.Add(c);
            m.Apply(c);
        }

        var end = m.Fingerprint();
        var ipis = m.K.IpisSent;
        var hypercalls = m.K.Xen.Events.Total(EventKind.Hypercall);
        Assert.NotEqual(middle, end);

        m.Restore(snapshot);
        Assert.Equal(middle, m.Fingerprint());
        Assert.Equal(6, m.History.Count);
        foreach (var c in rest)
        {
            Assert.Contains(c, m.Enabled().ToArray());
            m.Apply(c);
        }

        Assert.True(m.Done);
        Assert.Equal(end, m.Fingerprint());
        Assert.Equal(ipis, m.K.IpisSent);
        Assert.Equal(hypercalls, m.K.Xen.Events.Total(EventKind.Hypercall));
    }

    [Fact]
    public void DifferentSchedulesThatEndAlikeHaveEqualFingerprintsAndDifferentOnesDiffer()
    {
        var ends = new HashSet<ulong>();
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var (m, _) = Build(new Linux61(), ExitVsSwitch(), 2, 2);
            Assert.True(m.Run(new SeededRandomScheduler(seed)));
            m.Quiesce();
            ends.Add(m.K.Fingerprint());
        }

        // Every schedule ends with both processes' exits done and the CPUs on init_mm; the free list's order and
        // the TLB contents may differ between schedules, but not in every one.
        Assert.InRange(ends.Count, 1, 19);
    }
}
