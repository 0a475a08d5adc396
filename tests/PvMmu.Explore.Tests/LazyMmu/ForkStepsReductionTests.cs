using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Tests.Enumeration;
using PvMmu.Linux;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.LazyMmu;

/// <summary>
/// Fork's and exec's steps (a step per page-table page, the lazy MMU batch open between a copy and its leave) under the
/// search's reductions, on a race small enough to search plainly: P0 exits on vCPU 0 while P1 forks P2 on vCPU 1, which
/// execs and exits. The plain enumerator (full states, every move) and the exhaustive search (fingerprints, sleep
/// sets) count the same distinct states, and sleep sets visit exactly the states the plain search visits: no field
/// of the fork's or exec's progress is forgotten, and none of their moves is wrongly taken for independent.
/// exit-vs-fork itself is too large for this (786,710 distinct states at 2 vCPUs).
/// </summary>
public sealed class ForkStepsReductionTests
{
    private static Func<Machine> ForkVsExit(IExitStrategy strategy) => () =>
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 512 });
        var procs = new int[8];
        for (var p = 0; p < 2; p++)
        {
            var mm = MmOps.CreateMm(k, 0);
            MmOps.MapAnonymous(k, mm, 0x40_0000UL, 4);
            MmOps.TouchAll(k, 0, mm);
            Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
            k.Mms.Users[mm] = 1;
            procs[p] = mm;
        }

        var m = new Machine(k, strategy, [[new(OpKind.Run, 0)], [new(OpKind.Run, 1)]], procs);
        Assert.True(m.Run(new RoundRobinScheduler()));
        m.Begin([[new(OpKind.Exit, 0)], [new(OpKind.Fork, 1, 2), new(OpKind.Run, 2), new(OpKind.Exec, 2, 2), new(OpKind.Exit, 2)]]);
        k.Xen.Events.Reset();
        k.Branches = 0;
        return m;
    };

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("Linux61")]
    [InlineData("Linux411")]
    public void ForkAndExecStepsLoseNoStateToFingerprintsOrSleepSets(string strategy)
    {
        var build = ForkVsExit(ExitStrategies.Find(strategy)!);
        var expected = PlainEnumerator.DistinctStates(build);
        var plain = new ExhaustiveExplorer(() => new MachineModel(build())) { PartialOrder = false };
        var reduced = new ExhaustiveExplorer(() => new MachineModel(build()));
        var p = plain.Run();
        var r = reduced.Run();
        Assert.True(p.Violation == null, p.Violation);
        Assert.True(r.Violation == null, r.Violation);
        Assert.True(p.Exhausted && r.Exhausted);
        Assert.Equal(expected, r.DistinctStates);
        Assert.True(plain.Visited.SetEquals(reduced.Visited), $"{plain.Visited.Count} vs {reduced.Visited.Count} states");

        // More than one ordering of the fork's steps against the exit's: the race is a race.
        Assert.True(expected > 40, $"{expected} states");
    }
}
