using PvMmu.Explore.Tests.Enumeration;
using PvMmu.Xen;

namespace PvMmu.Explore.Tests.Symmetry;

/// <summary>
/// A renaming of vCPUs moves state and loses none: applying π and then its inverse gives back the state exactly,
/// every field the snapshot holds compared; and π alone does change a state whose interchangeable vCPUs differ, so
/// the round trip is not passed by a renaming that does nothing.
/// </summary>
public sealed class RenamingRoundTripTests
{
    [Theory]
    [InlineData("lazy-exit", 3)]
    [InlineData("lazy-exit", 4)]
    [InlineData("threads-exit", 4)]
    [InlineData("exit-vs-fork", 4)]
    public void ARenamingThenItsInverseRestoresTheStateExactly(string scenario, int vcpus)
    {
        var m = SymmetryWalks.Model(scenario, vcpus);
        var changedSome = false;
        foreach (var seed in new[] { 1, 2, 3, 4 })
        {
            var start = m.Snapshot();
            foreach (var c in SymmetryWalks.Walk(m, seed, 120))
            {
                m.Apply(c);
                var before = StateDump.Of(m.Machine.Snapshot(events: false));
                foreach (var p in m.Symmetry!.NonIdentity)
                {
                    m.Machine.PermuteVcpus(p);
                    changedSome |= !before.AsSpan().SequenceEqual(StateDump.Of(m.Machine.Snapshot(events: false)));
                    m.Machine.PermuteVcpus(p.Inverse());
                    Assert.Equal(before, StateDump.Of(m.Machine.Snapshot(events: false)));
                }
            }

            m.Restore(start);
        }

        Assert.True(changedSome, "no renaming changed any state of the walks");
    }

    /// <summary>
    /// Every array the hypervisor declares as state is either renamed (per vCPU, or a cpumask) or indexed by frame
    /// or domain with no vCPU id in it: a per-vCPU array added to the declaration and not to the renaming fails here.
    /// </summary>
    [Fact]
    public void EveryDeclaredHypervisorArrayIsRenamedOrHoldsNoVcpu()
    {
        string[] noVcpu =
        [
            "page_info.count_info", "page_info.type_count", "page_info.type", "page_info.flags", "page_info.linear_pt_count",
            "page_info.owner", "page_info.tlbflush_timestamp", "page_info.contents", "domain.nr_l4_pages",
            "domain.writable_pagetables", "domain.crashed", "machine_to_phys_mapping", "tlbflush_clock",
        ];
        var m = SymmetryWalks.Model("lazy-exit", 3);
        foreach (var a in m.Machine.K.Xen.DeclaredState)
        {
            var renamed = Hypervisor.PerVcpuState.Contains(a.Name) || Hypervisor.CpumaskState.Contains(a.Name);
            Assert.True(renamed ^ noVcpu.Contains(a.Name), $"{a.Name}: renamed {renamed}, listed as holding no vCPU {noVcpu.Contains(a.Name)}");
        }
    }
}
