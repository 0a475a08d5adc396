using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;

namespace PvMmu.Explore.Tests.Enumeration;

/// <summary>
/// The explorer's exact state counts, derived: the plain enumerator (full states compared, every move taken) and the
/// exhaustive search (64-bit fingerprints, sleep sets) must find the same number of distinct states in every
/// built-in guest scenario. More states in the enumerator would mean a field the fingerprint forgets (distinct
/// states merged: the search unsound); fewer, a fingerprint that tells equal states apart.
/// </summary>
public sealed class PlainEnumeratorTests
{
    public static TheoryData<string, string, int> Cases()
    {
        var d = new TheoryData<string, string, int>();
        foreach (var scenario in new[] { "lazy-exit", "lazy-borrowers", "exit-vs-switch", "threads-exit", "gfp-atomic-fallback", "lazy-vmap" })
        {
            d.Add(scenario, "Linux61", 2);
        }

        // Two borrowers of the dying mm at once: the smallest space at 3 vCPUs.
        d.Add("lazy-borrowers", "Linux61", 3);
        return d;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Cases))]
    public void TheExplorerCountsWhatThePlainEnumeratorCounts(string scenario, string strategy, int vcpus)
    {
        var build = Scenarios.Build(scenario, ExitStrategies.Find(strategy)!, vcpus);
        var expected = PlainEnumerator.DistinctStates(build);
        var r = new ExhaustiveExplorer(() => new MachineModel(build())).Run();
        Assert.True(r.Violation == null, r.Violation);
        Assert.True(r.Exhausted);
        Assert.Equal(expected, r.DistinctStates);
    }
}
