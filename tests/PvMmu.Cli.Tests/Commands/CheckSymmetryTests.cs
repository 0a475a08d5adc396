using System.Text.Json;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// <c>pvmmu check --symmetry on</c>: the exhaustive search explores the abstraction (cpumask walks in any order,
/// interchangeable vCPUs merged), says so, and gives the same verdicts and branches as the exact model; a finding on
/// the abstraction is re-checked on the exact model, whose counterexample is the one written.
/// </summary>
public sealed class CheckSymmetryTests
{
    [Fact]
    public void OnExploresTheAbstractionAndNamesItsClasses()
    {
        var (exit, o, _) = Pvmmu.Run("check", "--scenario", "lazy-borrowers", "--vcpus", "3", "--search", "exhaustive", "--threads", "1", "--symmetry", "on", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(o);
        var root = doc.RootElement;
        Assert.Equal("on", root.GetProperty("symmetry").GetString());
        Assert.True(root.GetProperty("complete").GetBoolean());
        Assert.False(root.GetProperty("sleep_sets").GetBoolean());

        // lazy-borrowers' vCPUs 1 and 2 run the same program (a kernel thread that schedules freely); vCPU 0 exits.
        var classes = root.GetProperty("symmetry_classes").EnumerateArray().Select(c => c.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Single(classes);
        Assert.Equal([1, 2], classes[0]);

        var (_, text, _) = Pvmmu.Run("check", "--scenario", "lazy-borrowers", "--vcpus", "3", "--search", "exhaustive", "--threads", "1", "--symmetry", "on");
        Assert.Contains("symmetry on (cpumask walks in any order; interchangeable vCPUs: {v1,v2})", text, StringComparison.Ordinal);
        Assert.Contains("superset of the kernel's schedules", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AFindingOnTheAbstractionIsRecheckedOnTheExactModel()
    {
        var replay = Path.Combine(Path.GetTempPath(), $"pvmmu-sym-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, o, _) = Pvmmu.Run("check", "--scenario", "lazy-exit", "--strategy", "BrokenNoDropMmRef", "--search", "exhaustive", "--threads", "1", "--symmetry", "on", "--out", replay, "--json");
            Assert.Equal(2, exit);
            using var doc = JsonDocument.Parse(o);
            Assert.NotNull(doc.RootElement.GetProperty("symmetry_abstraction_violation").GetString());
            Assert.NotNull(doc.RootElement.GetProperty("violation").GetString());

            // The replay file is the exact model's schedule: replay re-runs it, with no symmetry setting, to the violation.
            var (replayExit, _, _) = Pvmmu.Run("replay", replay);
            Assert.Equal(2, replayExit);
        }
        finally
        {
            File.Delete(replay);
        }
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("")]
    public void ABadValueIsOneLineAndExitOne(string value)
    {
        var (exit, o, e) = Pvmmu.Run("check", "--scenario", "lazy-exit", "--symmetry", value);
        Assert.Equal(1, exit);
        Assert.Empty(o);
        Assert.Single(e.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("lazy-exit", "portfolio")]
    [InlineData("lazy-exit", "random")]
    [InlineData("xsa-401", "exhaustive")]
    public void OnWhereItDoesNotApplyIsOneLineAndExitOne(string scenario, string search)
    {
        var (exit, o, e) = Pvmmu.Run("check", "--scenario", scenario, "--search", search, "--symmetry", "on");
        Assert.Equal(1, exit);
        Assert.Empty(o);
        Assert.Single(e.TrimEnd('\n').Split('\n'));
        Assert.Contains("--symmetry on goes with", e, StringComparison.Ordinal);
    }

    [Fact]
    public void ReachSearchesTheExactModelAndSaysSo()
    {
        var replay = Path.Combine(Path.GetTempPath(), $"pvmmu-sym-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, o, _) = Pvmmu.Run("check", "--scenario", "lazy-exit", "--reach", "xen_drop_mm_ref:ipi", "--symmetry", "on", "--out", replay);
            Assert.Equal(0, exit);
            Assert.Contains("--reach searches the exact model", o, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(replay);
        }
    }

    [Fact]
    public void SleepSetsDoNotGoWithSymmetry()
    {
        var (exit, o, e) = Pvmmu.Run("check", "--scenario", "lazy-exit", "--search", "exhaustive", "--symmetry", "on", "--por", "on");
        Assert.Equal(1, exit);
        Assert.Empty(o);
        Assert.Contains("--symmetry on", e, StringComparison.Ordinal);
    }

    /// <summary>
    /// Every example scenario file that a unit test can search completely: the same exit code, and the same branches
    /// reached, with symmetry on and off (exit-vs-fork.yaml, at 3 vCPUs, has more than two million exact states).
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("lazy-exit.yaml")]
    [InlineData("lazy-borrowers.yaml")]
    [InlineData("exit-vs-switch.yaml")]
    [InlineData("threads-exit.yaml")]
    [InlineData("lazy-vmap.yaml")]
    public void EveryExampleFileHasTheSameVerdictAndBranchesOnAndOff(string file)
    {
        var path = Path.Combine(RepoPaths.Root, "examples", "check", file);
        var off = Pvmmu.Run("check", "--scenario", path, "--search", "exhaustive", "--threads", "1", "--max-states", "4000000", "--symmetry", "off", "--json");
        var on = Pvmmu.Run("check", "--scenario", path, "--search", "exhaustive", "--threads", "1", "--max-states", "4000000", "--symmetry", "on", "--json");
        Assert.Equal(off.Exit, on.Exit);
        Assert.Equal(Reached(off.Out), Reached(on.Out));
    }

    private static string[] Reached(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("coverage").EnumerateObject().Where(b => b.Value.GetInt64() > 0).Select(b => b.Name).Order()];
    }
}
