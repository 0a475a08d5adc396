using PvMmu.Explore.Exhaustive;
using PvMmu.Linux.Exit;
using PvMmu.Scheduling;

namespace PvMmu.Explore.Tests.ScenarioShapes;

/// <summary>
/// The built-in scenarios are races in which every vCPU works: no vCPU is idle filler, so an added vCPU adds
/// interleavings and the state count does not just scale by a constant.
/// </summary>
public sealed class ScenarioShapeTests
{
    public static TheoryData<string, int> EveryScenarioAndVcpuCount()
    {
        var d = new TheoryData<string, int>();
        foreach (var s in PvMmu.Explore.Models.Scenarios.Names)
        {
            foreach (var v in new[] { 2, 3, 4 })
            {
                d.Add(s, v);
            }
        }

        return d;
    }

    /// <summary>
    /// For each vCPU, a schedule that runs it whenever it can: its program takes a step (it starts out able to, or
    /// becomes able once the others have moved), so that no vCPU of any scenario only idles.
    /// </summary>
    [Theory]
    [MemberData(nameof(EveryScenarioAndVcpuCount))]
    public void EveryVcpusProgramTakesSteps(string scenario, int vcpus)
    {
        var build = PvMmu.Explore.Models.Scenarios.Build(scenario, new Linux61(), vcpus);
        for (var cpu = 0; cpu < vcpus; cpu++)
        {
            var m = build();
            for (var moves = 0; moves < 1000 && !m.HasMoved(cpu) && !m.Done; moves++)
            {
                var enabled = m.Enabled();
                Assert.False(enabled.IsEmpty, $"{scenario}: deadlock before vCPU {cpu} moved");
                var pick = enabled[0];
                foreach (var c in enabled)
                {
                    if (c.Cpu == cpu && c.Kind == MoveKind.Step)
                    {
                        pick = c;
                        break;
                    }
                }

                m.Apply(pick);
            }

            Assert.True(m.HasMoved(cpu), $"{scenario} on {vcpus} vCPUs: vCPU {cpu}'s program never took a step");
        }
    }

    /// <summary>
    /// Main 024f581 had 58·3^(n−2) states for exit-vs-switch: each added vCPU ran one idle kernel-thread switch, a
    /// constant factor. Now every added vCPU interleaves real work, so the count at 3 vCPUs is no whole multiple of
    /// the count at 2.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("lazy-exit")]
    [InlineData("lazy-borrowers")]
    [InlineData("exit-vs-switch")]
    [InlineData("threads-exit")]
    [InlineData("gfp-atomic-fallback")]
    public void ThreeVcpusAreNotTwoTimesAConstant(string scenario)
    {
        long Count(int vcpus)
        {
            var r = new ExhaustiveExplorer(PvMmu.Explore.Models.Scenarios.Build(scenario, new Linux413(), vcpus)) { Threads = 2 }.Run();
            Assert.Null(r.Violation);
            Assert.True(r.Exhausted && !r.StateCapped, $"{scenario} on {vcpus} vCPUs did not complete");
            return r.DistinctStates;
        }

        var two = Count(2);
        var three = Count(3);
        Assert.True(three > two, $"{three} states at 3 vCPUs, {two} at 2");
        Assert.NotEqual(0, three % two);
    }
}
