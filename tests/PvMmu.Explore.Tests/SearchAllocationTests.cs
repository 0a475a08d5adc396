using PvMmu.Explore.Checks;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Tests;

/// <summary>
/// A search allocates nothing per state once it is under way: the guest's violations go into one reused list, and a
/// reused snapshot's multicall arrays only grow. (An allocation per state had cost a gen0 collection every 70,000
/// states, and the collector, packing the survivors of two threads together, put them on shared cache lines.)
/// </summary>
public sealed class SearchAllocationTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void TwentyThousandMoreStatesAllocateUnderAByteEach()
    {
        var build = Scenarios.Build("exit-vs-switch", new Linux413(), 12);

        long Allocated(long cap)
        {
            var search = new ExhaustiveExplorer(build, maxStates: cap);
            var before = GC.GetAllocatedBytesForCurrentThread();
            var r = search.Run();
            var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(r.StateCapped);
            Assert.Equal(cap, r.States);
            return bytes;
        }

        Allocated(1_000);
        var small = Allocated(10_000);
        var large = Allocated(30_000);
        Assert.True(large - small < 20_000, $"{large - small} bytes for 20,000 more states");
    }

    [Fact]
    public void AStateCheckedAfterAViolatingOneReportsOnlyItsOwn()
    {
        var build = Scenarios.Build("lazy-exit", new BrokenNoDropMmRef(), 2);
        var found = new ExhaustiveExplorer(build).Run();
        Assert.NotNull(found.Violation);

        var bad = new MachineModel(build());
        foreach (var c in found.Counterexample)
        {
            bad.Apply(c);
        }

        var xen = new InvariantChecker();
        var first = ScheduleCheck.StateViolation(bad.Machine, xen);
        Assert.NotNull(first);
        Assert.Null(ScheduleCheck.StateViolation(build(), xen));
        Assert.Equal(first, ScheduleCheck.StateViolation(bad.Machine, xen));
    }
}
