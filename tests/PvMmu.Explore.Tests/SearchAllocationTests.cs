using PvMmu.Explore.Checks;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Tests;

/// <summary>
/// A search allocates nothing per state once it is under way: the guest's violations go into one reused list, a
/// reused snapshot's arrays only grow, page-table pages no snapshot holds are reused, and a new depth's frame takes
/// the only fresh snapshot. (An allocation per state had cost a gen0 collection every 70,000 states, and the
/// collector, packing the survivors of two threads together, put them on shared cache lines.)
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class SearchAllocationTests
{
    /// <summary>
    /// Counted over the whole process, since the search runs on threads of its own: two searches of lazy-exit at
    /// 3 vCPUs on one thread (deterministic, so the first 100,000 states of the longer one are the shorter one),
    /// capped at 100,000 and at 300,000 states. The 200,000 states more may allocate one snapshot for each depth
    /// the longer search reaches and the shorter did not, and at most four bytes a state besides: the reused arrays
    /// growing to their high-water marks, and a residue of 1.4 to 2.8 bytes a state measured after the hypervisor's
    /// declared state, not yet attributed (the check memo's sets of clean states grow with the states they hold, the
    /// likeliest part). Before the fix a search allocated about 60 bytes a state here.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void TwoHundredThousandMoreStatesAllocateASnapshotPerNewDepthAndAFewBytesEach()
    {
        var build = Scenarios.Explorable("lazy-exit", "Linux61", 3);

        (long Bytes, int Deepest) Allocated(long cap)
        {
            var search = new ExhaustiveExplorer(build, maxStates: cap);
            var before = GC.GetTotalAllocatedBytes(true);
            var r = search.Run();
            var bytes = GC.GetTotalAllocatedBytes(true) - before;
            Assert.True(r.StateCapped);
            Assert.Equal(cap, r.States);
            return (bytes, r.MaxDepth);
        }

        var model = build();
        var was = GC.GetAllocatedBytesForCurrentThread();
        model.Snapshot();
        var snapshotBytes = GC.GetAllocatedBytesForCurrentThread() - was;

        Allocated(1_000);
        var small = Allocated(100_000);
        var large = Allocated(300_000);
        var bound = ((large.Deepest - small.Deepest) * snapshotBytes) + (4 * 200_000);
        Assert.True(
            large.Bytes - small.Bytes <= bound,
            $"{large.Bytes - small.Bytes} bytes for 200,000 more states and {large.Deepest - small.Deepest} new depths (snapshots of {snapshotBytes} bytes): more than {bound}");
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
