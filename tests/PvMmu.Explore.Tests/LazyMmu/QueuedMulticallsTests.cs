using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;

namespace PvMmu.Explore.Tests.LazyMmu;

/// <summary>
/// ipi:queued_multicalls is reachable where the real kernel reaches it, and harmless there: in lazy-vmap the exit's
/// IPI can land on a borrower whose kernel thread has a vmap_pfn batch queued (lazy MMU mode, interrupts on). Every
/// schedule at 2 vCPUs is explored under 6.1's, 4.11's and 4.13's handlers: the branch is taken, nothing is violated,
/// and drop_other_mm_ref's second branch (the seed thread's question) is never taken, so load_cr3 against
/// xen_mc_flush makes no difference there either.
/// </summary>
public sealed class QueuedMulticallsTests
{
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("Linux61")]
    [InlineData("Linux411")]
    [InlineData("Linux413")]
    public void AnExitsIpiFindsALazyMmuBatchQueuedAndNothingGoesWrong(string strategy)
    {
        var r = new ExhaustiveExplorer(Scenarios.Explorable("lazy-vmap", strategy, 2)) { Threads = 2 }.Run();
        Assert.True(r.Violation == null, r.Violation);
        Assert.True(r.Exhausted && !r.StateCapped);
        long Taken(string branch) => r.Coverage.Single(c => c.Branch == branch).Moves;
        Assert.True(Taken("ipi:queued_multicalls") > 0);
        Assert.True(Taken("xen_drop_mm_ref:ipi") > 0);
        Assert.Equal(0, Taken("drop_other_mm_ref:load_cr3"));
        Assert.Equal(0, Taken("drop_other_mm_ref:xen_mc_flush"));
    }
}
