using System.Reflection;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.RunLoops;

/// <summary>
/// The one run loop and its strategies on a model whose runs are known by counting (<see cref="CounterModel"/>):
/// how a run ends, a replay that stops at the first move not enabled, and the exhaustive search as a strategy of
/// the loop on a model that knows nothing of the guest.
/// </summary>
public sealed class RunLoopTests
{
    [Theory]
    [InlineData(1, 5)]
    [InlineData(3, 4)]
    public void ARandomRunMakesEveryStepAndEndsDone(int vcpus, int steps)
    {
        var m = new CounterModel(vcpus, steps);
        var end = RunLoop.Run(m, new SeededRandomScheduler(7), null, out var moves);
        Assert.Equal(RunEnd.Done, end);
        Assert.Equal(vcpus * steps, moves);
    }

    [Fact]
    public void ACapStopsTheRunAndABlockedProgramIsADeadlock()
    {
        Assert.Equal(RunEnd.MoveCap, RunLoop.Run(new CounterModel(2, 3), new RoundRobinScheduler(), null, out var capped, 4));
        Assert.Equal(4, capped);

        // Every step that can be made is made (2 vCPUs × 3), then vCPU 0's last one never comes.
        Assert.Equal(RunEnd.Deadlock, RunLoop.Run(new CounterModel(2, 3, stuck: true), new RoundRobinScheduler(), null, out var moves));
        Assert.Equal(6, moves);
    }

    [Fact]
    public void TheObserverSeesEachMoveBeforeAndAfterAndCanEndTheRun()
    {
        var m = new CounterModel(2, 3);
        var seen = new List<string>();
        var end = RunLoop.Run(m, new RoundRobinScheduler(), new RunObserver(c => seen.Add("before " + c), c =>
        {
            seen.Add("after " + c);
            return seen.Count < 6;
        }));
        Assert.Equal(RunEnd.Stopped, end);
        Assert.Equal(["before v0 step", "after v0 step", "before v1 step", "after v1 step", "before v0 step", "after v0 step"], seen);
    }

    [Fact]
    public void AReplayStopsAtTheFirstMoveThatIsNotEnabled()
    {
        Move v0 = new(0, MoveKind.Step), v1 = new(1, MoveKind.Step);

        // vCPU 0 has 2 steps: its third is not enabled, so the replay ends there, after 3 moves (v0, v1, v0).
        var replay = new ReplayStrategy([v0, v1, v0, v0, v1]);
        var end = RunLoop.Run(new CounterModel(2, 2), replay, null, out var moves);
        Assert.Equal(RunEnd.Stopped, end);
        Assert.Equal(3, moves);
        Assert.Equal(3, replay.NotPossibleAt);

        var whole = new ReplayStrategy([v0, v1, v1, v0]);
        Assert.Equal(RunEnd.Done, RunLoop.Run(new CounterModel(2, 2), whole));
        Assert.Equal(-1, whole.NotPossibleAt);
    }

    [Theory]
    [InlineData(2, 3, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 3, 2)]
    public void TheExhaustiveStrategyVisitsEveryStateOfAGuestFreeModelOnce(int vcpus, int steps, int threads)
    {
        var r = new ExhaustiveExplorer(() => new CounterModel(vcpus, steps)) { Threads = threads }.Run();
        var states = (long)Math.Pow(steps + 1, vcpus);
        Assert.True(r.Exhausted);
        Assert.Null(r.Violation);
        Assert.Equal(states, r.DistinctStates);
        Assert.Equal(1, r.EndStates);
        if (threads == 1)
        {
            // No move commutes (the model does not say so): the start, then one visit per move out of each distinct
            // state, and a state of counts (a_i) has one move per vCPU not yet at the end: vcpus·steps·(steps+1)^(vcpus−1).
            Assert.Equal(1 + ((long)vcpus * steps * (long)Math.Pow(steps + 1, vcpus - 1)), r.States);
            Assert.Equal(vcpus * steps, r.MaxDepth);
        }
    }

    [Fact]
    public void TheExhaustiveStrategyReportsADeadlockWithThePathToIt()
    {
        var r = new ExhaustiveExplorer(() => new CounterModel(2, 1, stuck: true)).Run();
        Assert.Equal(PvMmu.Explore.Checks.ScheduleCheck.Deadlock, r.Violation);

        // Depth first in the enabled order: vCPU 0's step, then vCPU 1's, and nothing is left.
        Assert.Equal("v0 step,v1 step", string.Join(",", r.Counterexample));
    }

    [Fact]
    public void TheExplorersModelInterfaceNamesNoGuestType()
    {
        var guest = typeof(Machine).Assembly;
        var types = new[] { typeof(IExplorable), typeof(ISchedulable), typeof(ModelSnapshot) };
        var named = new List<Type>();
        foreach (var t in types)
        {
            named.AddRange(t.GetInterfaces());
            foreach (var member in t.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (member is MethodInfo mi)
                {
                    named.Add(mi.ReturnType);
                    named.AddRange(mi.GetParameters().Select(p => p.ParameterType));
                }
            }
        }

        // ReadOnlySpan<Move>, out ulong, Span<ulong>: the types inside them too.
        named = [.. named.Select(t => t.IsByRef || t.IsArray ? t.GetElementType()! : t).SelectMany(t => t.GetGenericArguments().Append(t))];
        Assert.Contains(typeof(Move), named);
        Assert.DoesNotContain(named, t => t.Assembly == guest);
    }
}
