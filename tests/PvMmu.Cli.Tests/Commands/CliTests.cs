using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>The <c>pvmmu</c> command: exit codes, one-line errors, determinism.</summary>
public sealed class CliTests
{
    private static string Temp(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.xen");
        File.WriteAllText(path, text);
        return path;
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheDefaultJobComparesEveryStrategyOnTheThreadsScenario()
    {
        var (exit, output, _) = Run();
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.StartsWith("seed 1\n", output, StringComparison.Ordinal);
        foreach (var name in new[] { "Linux411", "Linux413", "Linux414", "Linux61", "NoExitUnpin", "TryUnpin", "BrokenNoDropMmRef", "BrokenCpumaskOnly" })
        {
            Assert.Contains("\n" + name + " ", output, StringComparison.Ordinal);
        }

        // NoExitUnpin's row of the exit's events carries one trap per present PTE.
        var lines = output.Split('\n');
        var row = lines.Last(l => l.StartsWith("NoExitUnpin ", StringComparison.Ordinal));
        Assert.Contains(" 4096 ", row, StringComparison.Ordinal);

        // The safety half is the explorer's: each upstream path's verdict names the states a complete search of
        // lazy-exit at 2 vCPUs counts, the broken ones are unsafe, and the thread's question is asked at 2, 3, 4.
        var full = new PvMmu.Explore.Exhaustive.ExhaustiveExplorer(PvMmu.Explore.Models.Scenarios.Explorable("lazy-exit", "Linux61", 2)).Run();
        Assert.Null(full.Violation);
        var verdict = lines.First(l => l.StartsWith("Linux61 ", StringComparison.Ordinal) && l.Contains("safe", StringComparison.Ordinal));
        Assert.Contains($"safe: every schedule explored ({full.DistinctStates.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} states)", verdict, StringComparison.Ordinal);
        Assert.StartsWith("UNSAFE (deliberately broken)", lines.First(l => l.StartsWith("BrokenCpumaskOnly ", StringComparison.Ordinal) && l.Contains("UNSAFE", StringComparison.Ordinal))["BrokenCpumaskOnly ".Length..].TrimStart(), StringComparison.Ordinal);
        foreach (var n in new[] { "2 ", "3 ", "4 " })
        {
            Assert.Contains(lines, l => l.StartsWith(n, StringComparison.Ordinal) && (l.Contains("unreachable", StringComparison.Ordinal) || l.Contains("not in", StringComparison.Ordinal) || l.Contains("REACHED", StringComparison.Ordinal)));
        }

        Assert.Equal(output, Run().Out);
    }

    [Fact]
    public void OutputIsByteIdenticalAcrossRuns()
    {
        var path = Path.Combine(RepoPaths.ExamplesXen, "xsa-286-stale-linear-l2.xen");
        Assert.Equal(Run("xen", "run", "--all-versions", path).Out, Run("xen", "run", "--all-versions", path).Out);
    }

    [Fact]
    public void AFailedExpectationExitsTwo()
    {
        var path = Temp("vcpus 1\nframes a\nmmuext unpin a -> 0\n");
        var (exit, output, _) = Run("xen", "run", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("-EINVAL done=0  (expected 0)  FAIL", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vcpus 1\nframes a\nmmuext pin_l5 a -> 0\n", ":3: expected an mmuext command")]
    [InlineData("vcpus 1\nframes a\nmmu_update b[0] = a P -> 0\n", ":3: expected a declared frame name, got 'b'")]
    [InlineData("vcpus 1\nframes a\nmmu_update a[512] = a P -> 0\n", ":3: expected a slot from 0 to 511")]
    [InlineData("vcpus 1\nframes a\nmmu_update a[0] = a P WHAT -> 0\n", ":3: expected a PTE flag")]
    [InlineData("vcpus 1\nframes a\nmmu_update a[0] = a P -> -EWHAT\n", ":3: expected a result such as 0")]
    [InlineData("vcpus 1\nframes a\nmulticall\n  iret\n", ":3: expected 'end' to close the multicall")]
    [InlineData("frames a\nmmuext unpin a -> -EINVAL\nvcpus 2\n", ":3: 'vcpus' describes the machine")]
    [InlineData("vcpus 99\n", ":1: expected a vCPU count from 1 to 64")]
    [InlineData("vcpus 1\nframes a\nexpect a linear=99999999999999999999\n", ":3: expected linear= a whole number from -32768 to 32767")]
    [InlineData("frames a a\n", "frame name 'a' is declared twice")]
    [InlineData("xen 4.9\n", ":1: expected a Xen version")]
    [InlineData("vcpus 1\nframes a\nfrobnicate a\n", ":3: expected an operation")]
    [InlineData("vcpus 1\nframes a\nexpect a type=l7\n", ":3: expected a page type")]
    [InlineData("vcpus 1\nframes a\nexpect events bogus=1\n", ":3: expected an event name")]
    [InlineData("vcpus 1\nframes a\ninit mfn:999[0] = 0\n", ":3: 'mfn:999' is not a frame of this machine (it has mfn:0 to mfn:")]
    [InlineData("vcpus 1\nframes a\nexpect mfn:0x100000001 type=none\n", ":3: 'mfn:0x100000001' is not a frame of this machine")]
    [InlineData("vcpus 1\nframes a\nexpect mfn:4096[0] = 0\n", ":3: 'mfn:4096' is not a frame of this machine")]
    [InlineData("vcpus 1\nframes a\nexpect m2p mfn:4096 = 0\n", ":3: 'mfn:4096' is not a frame of this machine")]
    [InlineData("vcpus 1\nframes a\nmmuext pin_l1 mfn:0x10000000000 -> 0\n", ":3: expected an MFN below 2^40")]
    [InlineData("vcpus 1\nframes a\nstore4 0x1000 = 0x100000000 -> ok\n", ":3: expected a 32-bit value")]
    [InlineData("vcpus 1\nframes a\nmmu_update a[0] = 1 list=unmapped@x -> 0\n", ":3: expected a number")]
    [InlineData("vcpus 1\nframes a\nmmu_update a[0] = 1 list=good -> 0\n", ":3: expected list=bad or list=unmapped@K")]
    [InlineData("vcpus 1\nframes a\nv1 multicall\nend\n", ":3: expected a vCPU number from 0 to 0")]
    [InlineData("vcpus 1\nframes a\nmulticall extra\nend\n", ":3: expected '[vN] multicall [list=bad|list=unmapped@K]'")]
    [InlineData("vcpus 1\nframes a\nexpect m2p a 5\n", ":3: expected 'expect m2p FRAME = GPFN'")]
    public void AMalformedScriptIsOneLineWithFileAndLineAndExitOne(string text, string message)
    {
        var path = Temp(text);
        var (exit, output, err) = Run("xen", "run", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(string.Empty, output);
        var line = Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith("pvmmu: " + path + ":", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void AScriptThatCannotRunAsWrittenExitsOne()
    {
        var path = Temp("vcpus 1\nframes a\nmmuext pin_l1 a -> 0\ninit a[0] = a P\n");
        var (exit, output, _) = Run("xen", "run", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(":4: frame", output, StringComparison.Ordinal);
        Assert.Contains("only hypercalls may change it", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFileExitsOne()
    {
        var (exit, _, err) = Run("xen", "run", "/nonexistent/x.xen");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.StartsWith("pvmmu: /nonexistent/x.xen:0: cannot read: ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("xen", "run", "--xen", "5.0", "a.xen")]
    [InlineData("xen", "run")]
    [InlineData("--bogus")]
    [InlineData("xen", "walk", "a.xen")]
    public void ABadFlagExitsOneWithoutAStackTrace(params string[] args)
    {
        var (exit, _, err) = Run(args);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.NotEmpty(err);
    }

    [Fact]
    public void TheXenFlagOverridesTheScriptsVersion()
    {
        var path = Path.Combine(RepoPaths.ExamplesXen, "xsa-213-multicall-iret.xen");
        var (exit, output, _) = Run("xen", "run", "--xen", "4.8", path);
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("Xen 4.8 rules", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Xen current rules", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--workload", "bogus", "fork-exit")]
    [InlineData("--strategy", "Linux99", "Linux61")]
    public void RunRejectsAnUnknownNameListingTheValidOnes(string flag, string value, string listed)
    {
        var (exit, output, err) = Run("run", flag, value);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(string.Empty, output);
        Assert.Contains(listed, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    [Fact]
    public void RunPrintsTheSeedFirstAndExitsTwoOnAWarn()
    {
        var (exit, output, _) = Run("run", "--workload", "lazy-exit", "--strategy", "BrokenNoDropMmRef", "--pages", "16", "--seed", "5");
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.StartsWith("seed 5\n", output, StringComparison.Ordinal);
        Assert.Contains("WARNING: cpu", output, StringComparison.Ordinal);

        var ok = Run("run", "--workload", "teardown", "--pages", "16", "--json");
        Assert.Equal(ExitCodes.Ok, ok.Exit);
        Assert.StartsWith("{\n  \"seed\": 1,", ok.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void RunRejectsLazyExitOnOneVcpu()
    {
        var (exit, _, err) = Run("run", "--workload", "lazy-exit", "--vcpus", "1");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("lazy-exit needs at least 2 vCPUs", err, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckFindsTheBrokenVariantAndReplayReproducesItByteForByte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", "exit-vs-switch", "--strategy", "BrokenCpumaskOnly", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("violation after ", output, StringComparison.Ordinal);
        Assert.Contains("replay file: " + path, output, StringComparison.Ordinal);
        Assert.True(File.Exists(path));

        var first = Run("replay", path);
        var second = Run("replay", path);
        Assert.Equal(ExitCodes.Finding, first.Exit);
        Assert.Equal(first.Out, second.Out);
        Assert.Contains("the violation reproduced", first.Out, StringComparison.Ordinal);
        Assert.Contains("WARN UpdateVaMapping", first.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void ARandomCheckIsDeterministicForItsSeedAndWritesTheShrunkSchedule()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        string[] args = ["check", "--scenario", "lazy-exit", "--strategy", "BrokenNoDropMmRef", "--vcpus", "3", "--search", "random", "--seed", "1", "--out", path];
        var (exit, output, _) = Run(args);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.StartsWith("seed 1\n", output, StringComparison.Ordinal);
        var line = output.Split('\n').Single(l => l.StartsWith("violation after ", StringComparison.Ordinal));
        var shrunk = int.Parse(line[(line.LastIndexOf("shrunk to ", StringComparison.Ordinal) + 10)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(shrunk, 1, 20);
        Assert.Equal(output, Run(args).Out);

        var (replayExit, timeline, _) = Run("replay", path);
        Assert.Equal(ExitCodes.Finding, replayExit);
        Assert.Contains($", {shrunk} moves\n", timeline, StringComparison.Ordinal);
        Assert.EndsWith(timeline, output, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void PctFindsTheRaceAndATimeLimitStopsASearchWithAnHonestVerdict()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--search", "pct", "--seed", "3", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("PCT (depth 3)", output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Finding, Run("replay", path).Exit);

        // Sampled schedules cut by --time prove nothing: exit 3 (incomplete), not 0, and the verdict says both why.
        var (timedExit, timed, progress) = Run("check", "--scenario", "threads-exit", "--vcpus", "3", "--search", "random", "--schedules", "100000000", "--time", "1500ms");
        Assert.Equal(ExitCodes.Incomplete, timedExit);
        Assert.StartsWith("search incomplete: a sampling search (random walks) runs only the schedules it draws, and --time stopped it; no violation in ", Line(timed, "search incomplete"), StringComparison.Ordinal);
        Assert.EndsWith("; other schedules were not explored; this is not a proof", Line(timed, "search incomplete"), StringComparison.Ordinal);
        Assert.Contains("progress: ", progress, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckJsonIsOneParsableObjectWithTheVerdictAndCoverage()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--json", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        using (var doc = System.Text.Json.JsonDocument.Parse(output))
        {
            var root = doc.RootElement;
            Assert.Equal("pre-xsa-401", root.GetProperty("xen").GetString());
            Assert.Equal("exhaustive", root.GetProperty("answer_from").GetString());
            Assert.Equal(5, root.GetProperty("shrunk_schedule").GetArrayLength());
            Assert.Equal(path, root.GetProperty("replay_file").GetString());
            Assert.Contains("I8:", root.GetProperty("violation").GetString(), StringComparison.Ordinal);

            // A search that stopped at its first violation did not cover the rest.
            Assert.False(root.GetProperty("complete").GetBoolean());
            Assert.Equal("violation", root.GetProperty("incomplete_because").GetString());
        }

        var safe = Run("check", "--scenario", "xsa-401", "--json");
        Assert.Equal(ExitCodes.Ok, safe.Exit);
        using var clean = System.Text.Json.JsonDocument.Parse(safe.Out);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, clean.RootElement.GetProperty("violation").ValueKind);
        Assert.True(clean.RootElement.GetProperty("exhausted").GetBoolean());
        Assert.True(clean.RootElement.GetProperty("complete").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, clean.RootElement.GetProperty("incomplete_because").ValueKind);
        // The count is the explorer's, not a number pasted from an earlier run: the CLI reports what the search found.
        var search = new ExhaustiveExplorer(Scenarios.Explorable("xsa-401", "current", 2)).Run();
        Assert.Equal(search.DistinctStates, clean.RootElement.GetProperty("distinct_states").GetInt64());
        Assert.Equal(safe.Out, Run("check", "--scenario", "xsa-401", "--json").Out);
    }

    [Fact]
    public void ReplayWritesAPerfettoTraceWithOneSlicePerMoveAndTheViolation()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var trace = Path.ChangeExtension(path, ".trace.json");
        Assert.Equal(ExitCodes.Finding, Run("check", "--scenario", "lazy-exit", "--strategy", "BrokenNoDropMmRef", "--out", path).Exit);
        var moves = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("schedule").GetArrayLength();

        Assert.Equal(ExitCodes.Finding, Run("replay", path, "--perfetto", trace).Exit);
        var first = File.ReadAllText(trace);
        using (var doc = System.Text.Json.JsonDocument.Parse(first))
        {
            var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
            Assert.Equal(moves, events.Count(e => e.GetProperty("ph").GetString() == "X"));
            var violation = Assert.Single(events, e => e.GetProperty("ph").GetString() == "i");
            Assert.Contains("G1:", violation.GetProperty("args").GetProperty("violation").GetString(), StringComparison.Ordinal);
            Assert.Equal(2, events.Count(e => e.GetProperty("name").GetString() == "thread_name"));
        }

        Assert.Equal(ExitCodes.Finding, Run("replay", path, "--perfetto", trace).Exit);
        Assert.Equal(first, File.ReadAllText(trace));
    }

    [Fact]
    public void CheckFindsThePreXsa401RaceAndNotTheCurrentOne()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("shrunk to 5 moves", output, StringComparison.Ordinal);
        var replay = Run("replay", path);
        Assert.Equal(ExitCodes.Finding, replay.Exit);
        Assert.EndsWith(replay.Out, output, StringComparison.Ordinal);

        var safe = Run("check", "--scenario", "xsa-401");
        Assert.Equal(ExitCodes.Ok, safe.Exit);
        Assert.Contains("xen current", safe.Out, StringComparison.Ordinal);
        Assert.Contains("no violation: every schedule explored", safe.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// xsa-286 on the CLI (issue 15's acceptance): on the 32-bit guest, Xen with edcfce5591 and bed7e6cad3
    /// (relaxed-flush) and Xen 4.8 lose the race, with a shrunk counterexample (the test's order v0, v1, v0) that
    /// replays; current Xen does not. On the 64-bit guest (xsa-286-pv64) only 4.8 loses. A guest scenario refuses
    /// --xen in one line.
    /// </summary>
    [Fact]
    public void CheckXsa286FindsTheStaleLinearMapUnderRelaxedFlushOnPv32AndOn48Only()
    {
        foreach (var (scenario, variant, moves) in new[] { ("xsa-286", "relaxed-flush", 3), ("xsa-286", "4.8", 3), ("xsa-286-pv64", "4.8", 4) })
        {
            var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
            var (exit, output, _) = Run("check", "--scenario", scenario, "--xen", variant, "--out", path);
            Assert.Equal(ExitCodes.Finding, exit);
            Assert.Contains($"shrunk to {moves} moves", output, StringComparison.Ordinal);
            var replay = Run("replay", path);
            Assert.Equal(ExitCodes.Finding, replay.Exit);
            Assert.EndsWith(replay.Out, output, StringComparison.Ordinal);
        }

        foreach (var (scenario, variant) in new[] { ("xsa-286", "current"), ("xsa-286-pv64", "current"), ("xsa-286-pv64", "relaxed-flush") })
        {
            var safe = Run("check", "--scenario", scenario, "--xen", variant);
            Assert.Equal(ExitCodes.Ok, safe.Exit);
            Assert.Contains("xen " + variant, safe.Out, StringComparison.Ordinal);
        }

        var bad = Run("check", "--scenario", "lazy-exit", "--xen", "relaxed-flush");
        Assert.Equal(ExitCodes.BadInput, bad.Exit);
        Assert.Single(bad.Err.TrimEnd().Split('\n'));
        var wrong = Run("check", "--scenario", "xsa-401", "--xen", "relaxed-flush");
        Assert.Equal(ExitCodes.BadInput, wrong.Exit);
        Assert.Contains("xsa-401 runs under a Xen ordering", wrong.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--search", "dfs", "got 'dfs'")]
    [InlineData("--xen", "5.0", "got '5.0'")]
    [InlineData("--xen", "4.8", "xsa-401 runs under a Xen ordering, one of current, pre-xsa-401; got '4.8'")]
    [InlineData("--schedules", "0", "--schedules must be at least 1")]
    [InlineData("--bound", "0", "--bound must be at least 1")]
    [InlineData("--vcpus", "3", "xsa-401 is a race of 2 vCPUs")]
    [InlineData("--time", "5x", "--time: expected a duration such as 60s")]
    [InlineData("--pct-depth", "0", "--pct-depth must be from 1 to 16")]
    [InlineData("--preemptions", "-1", "--preemptions must be from 0 to 1000")]
    [InlineData("--threads", "0", "--threads must be from 1 to 256")]
    [InlineData("--por", "maybe", "got 'maybe'")]
    [InlineData("--max-states", "0", "--max-states must be from 1 to 4294967296")]
    public void ABadCheckFlagIsOneLineAndExitOne(string flag, string value, string message)
    {
        var (exit, _, err) = Run("check", "--scenario", "xsa-401", flag, value);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    /// <summary>
    /// A value that is not a number, for every numeric flag of every command: one line in the words of the other
    /// errors, exit 1. (The flags with a range check had read the value inside the check, which threw on such a value
    /// and ended the process with a stack trace and exit 134.)
    /// </summary>
    [Theory]
    [InlineData("check", "--vcpus", "x", "a whole number")]
    [InlineData("check", "--bound", "x", "a whole number")]
    [InlineData("check", "--preemptions", "x", "a whole number")]
    [InlineData("check", "--threads", "2x", "a whole number")]
    [InlineData("check", "--max-states", "99999999999999999999", "a whole number")]
    [InlineData("check", "--schedules", "1e6", "a whole number")]
    [InlineData("check", "--pct-depth", "x", "a whole number")]
    [InlineData("check", "--seed", "-1", "a whole number from 0")]
    [InlineData("run", "--vcpus", "x", "a whole number")]
    [InlineData("run", "--pages", "1.5", "a page count from 1 to 4M (a number with an optional k or M suffix)")]
    [InlineData("compare", "--pages", "x", "a page count from 1 to 4M (a number with an optional k or M suffix)")]
    [InlineData("sweep", "--vcpus", "x", "a whole number")]
    [InlineData("bench", "--rounds", "x", "a whole number")]
    public void ANumericFlagThatIsNotANumberIsOneLineAndExitOne(string command, string flag, string value, string what)
    {
        var (exit, _, err) = Run(command, flag, value);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal($"pvmmu: {flag}: expected {what}, got '{value}'", err.TrimEnd());
    }

    /// <summary>
    /// An empty text value, for the text flags and arguments of every command: one line, exit 1. (Paths reached the
    /// file APIs, which threw on an empty string, and ended the process with a stack trace.)
    /// </summary>
    [Theory]
    [InlineData("pvmmu: --file: expected a value, got an empty string", "validate", "--file", "")]
    [InlineData("pvmmu: --cost: expected a value, got an empty string", "run", "--cost", "")]
    [InlineData("pvmmu: --trace: expected a value, got an empty string", "run", "--trace", " ")]
    [InlineData("pvmmu: --report: expected a value, got an empty string", "compare", "--report", "")]
    [InlineData("pvmmu: --cost: expected a value, got an empty string", "sweep", "--cost", "")]
    [InlineData("pvmmu: --out: expected a value, got an empty string", "check", "--out", "")]
    [InlineData("pvmmu: --perfetto: expected a value, got an empty string", "replay", "a.json", "--perfetto", "")]
    [InlineData("pvmmu: FILE: expected a value, got an empty string", "replay", "")]
    [InlineData("pvmmu: FILES: expected a value, got an empty string", "xen", "run", "")]
    [InlineData("pvmmu: --scenario: expected a value, got an empty string", "check", "--scenario", "")]
    public void AnEmptyTextValueIsOneLineAndExitOne(string message, params string[] args)
    {
        var (exit, _, err) = Run(args);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(message, err.TrimEnd());
    }

    [Fact]
    public void SleepSetsCannotGoWithAPreemptionBound()
    {
        var (exit, _, err) = Run("check", "--scenario", "xsa-401", "--preemptions", "1", "--por", "on");
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--por on cannot go with --preemptions", err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    /// <summary>
    /// Two threads print what one does, byte for byte on every run: the verdict and the distinct and end states
    /// (set sizes); the moves taken and the depth, which depend on the threads' timing, go to stderr.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void AnExhaustiveCheckOnTwoThreadsReportsTheSameStatesAsOnOne()
    {
        string[] args = ["check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--strategy", "Linux413", "--search", "exhaustive"];
        var one = Run([.. args, "--threads", "1"]);
        var two = Run([.. args, "--threads", "2"]);
        var off = Run([.. args, "--threads", "2", "--por", "off"]);
        Assert.Equal(ExitCodes.Ok, one.Exit);
        Assert.Equal(ExitCodes.Ok, two.Exit);
        Assert.Contains("exhaustive to 100000 moves, sleep sets, 2 threads\n", two.Out, StringComparison.Ordinal);
        Assert.Contains("exhaustive to 100000 moves, no partial-order reduction, 2 threads\n", off.Out, StringComparison.Ordinal);
        Assert.Contains("stats: ", two.Err, StringComparison.Ordinal);
        Assert.Equal(two.Out, Run([.. args, "--threads", "2"]).Out);

        // "(N states, D distinct, E end states, deepest ...)" on one thread; "(D distinct, E end states)" on two.
        var sets = Line(one.Out, "no violation: every schedule explored (");
        sets = sets[(sets.IndexOf(", ", StringComparison.Ordinal) + 2)..sets.IndexOf(", deepest", StringComparison.Ordinal)];
        Assert.EndsWith(" end states", sets, StringComparison.Ordinal);
        Assert.Equal($"no violation: every schedule explored ({sets})", Line(two.Out, "no violation"));
        Assert.Equal(Line(two.Out, "no violation"), Line(off.Out, "no violation"));
    }

    /// <summary>
    /// The default check (lazy-exit, Linux61, 2 vCPUs, the portfolio) is answered by the exhaustive search, which
    /// covers every schedule: its counts are those of the explorer run here on the same scenario, and the end states
    /// are counted in the plural or singular as there are.
    /// </summary>
    [Fact]
    public void TheDefaultCheckCoversEveryScheduleAndCountsItsEndStates()
    {
        var (exit, output, _) = Run("check");
        Assert.Equal(ExitCodes.Ok, exit);
        var r = new PvMmu.Explore.Exhaustive.ExhaustiveExplorer(PvMmu.Explore.Models.Scenarios.Build("lazy-exit", new PvMmu.Linux.Exit.Linux61(), 2)) { Threads = 1 }.Run();
        Assert.True(r.Exhausted);
        var ends = r.EndStates == 1 ? "1 end state" : $"{r.EndStates} end states";
        Assert.Equal($"no violation: every schedule explored ({r.States} states, {r.DistinctStates} distinct, {ends}, deepest {r.MaxDepth} moves, {r.Slept} moves spared by sleep sets)", Line(output, "no violation"));
    }

    /// <summary>
    /// A search cut by --max-states says so, and is no proof: exit 3 (it exited 0, like a full search). On one
    /// thread it visits exactly that many states and reports them; on two, which states the cap left out depends on
    /// the threads' timing, so the report (text and JSON) gives only the cap, a lower bound, and is the same on
    /// every run.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void AStateCapIsReportedAsSuchAndTheSameOnEveryRun()
    {
        string[] args = ["check", "--scenario", "exit-vs-switch", "--vcpus", "8", "--strategy", "Linux413", "--search", "exhaustive", "--max-states", "20000"];
        var one = Run([.. args, "--threads", "1"]);
        Assert.Equal(ExitCodes.Incomplete, one.Exit);
        Assert.StartsWith("search incomplete: stopped at the state cap of 20000 states (--max-states); no violation in the 20000 states visited (20000 states, ", Line(one.Out, "search incomplete"), StringComparison.Ordinal);

        var two = Run([.. args, "--threads", "2"]);
        Assert.Equal(ExitCodes.Incomplete, two.Exit);
        Assert.Equal("search incomplete: stopped at the state cap of 20000 states (--max-states); no violation in the states visited (at least 20000; the exact counts depend on the threads' timing and go to the stats line); the rest of the schedules were not explored; this is not a proof", Line(two.Out, "search incomplete"));
        var json = Run([.. args, "--threads", "2", "--json"]).Out;
        for (var run = 0; run < 3; run++)
        {
            Assert.Equal(two.Out, Run([.. args, "--threads", "2"]).Out);
            Assert.Equal(json, Run([.. args, "--threads", "2", "--json"]).Out);
        }

        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.True(doc.RootElement.GetProperty("state_capped").GetBoolean());
        Assert.Equal(20000, doc.RootElement.GetProperty("max_states").GetInt64());
        Assert.False(doc.RootElement.GetProperty("complete").GetBoolean());
        Assert.Equal("max-states", doc.RootElement.GetProperty("incomplete_because").GetString());
        Assert.Equal(20000, doc.RootElement.GetProperty("states").GetInt64());
        Assert.False(doc.RootElement.GetProperty("states_exact").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("distinct_states").ValueKind);
    }

    /// <summary>
    /// The XSA-401 race needs one preemption: a bound of 0 says what it covered and, having left schedules out, exits
    /// 3 (incomplete; it exited 0 and missed the race); 1 finds it.
    /// </summary>
    [Fact]
    public void APreemptionBoundIsReportedAndOneFindsTheXsa401Race()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--search", "exhaustive", "--preemptions", "0", "--out", path);
        Assert.Equal(ExitCodes.Incomplete, exit);
        Assert.Contains("exhaustive to 100000 moves and 0 preemptions, no partial-order reduction", output, StringComparison.Ordinal);
        Assert.Contains("search incomplete: the preemption bound of 0 (--preemptions) left some schedules out; no violation in every schedule of at most 0 preemptions (", output, StringComparison.Ordinal);
        Assert.Contains("schedules with more were not explored; this is not a proof", output, StringComparison.Ordinal);

        var (found, json, _) = Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--search", "exhaustive", "--preemptions", "1", "--threads", "1", "--json", "--out", path);
        Assert.Equal(ExitCodes.Finding, found);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(1, doc.RootElement.GetProperty("preemptions").GetInt32());
        Assert.False(doc.RootElement.GetProperty("sleep_sets").GetBoolean());
        Assert.Equal(1, doc.RootElement.GetProperty("threads").GetInt32());
        Assert.Contains("I8:", doc.RootElement.GetProperty("violation").GetString(), StringComparison.Ordinal);

        var (safe, plenty, _) = Run("check", "--scenario", "xsa-401", "--search", "exhaustive", "--preemptions", "5");
        Assert.Equal(ExitCodes.Ok, safe);
        Assert.Contains("no violation: every schedule explored; no schedule needed more than 5 preemptions (", plenty, StringComparison.Ordinal);
    }

    /// <summary>
    /// A scenario file is checked like a built-in scenario: examples/check/lazy-borrowers.yaml (the built-in
    /// lazy-borrowers on 3 vCPUs, setup and free scheduling written out) is explored completely, the same on every
    /// run, to exactly the built-in's distinct states; the broken path is found in examples/check/exit-vs-switch.yaml,
    /// and the replay file (which names the scenario file) replays byte for byte.
    /// </summary>
    [Fact]
    public void AScenarioFileIsCheckedCompletelyAndItsCounterexampleReplays()
    {
        var borrowers = Path.Combine(RepoPaths.Root, "examples", "check", "lazy-borrowers.yaml");
        var fromFile = Run("check", "--scenario", borrowers, "--search", "exhaustive", "--threads", "1");
        Assert.Equal(ExitCodes.Ok, fromFile.Exit);
        Assert.Contains($"check: scenario {borrowers}, strategy Linux61, 3 vCPUs,", fromFile.Out, StringComparison.Ordinal);
        Assert.Equal(fromFile.Out, Run("check", "--scenario", borrowers, "--search", "exhaustive", "--threads", "1").Out);
        static long Distinct(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("distinct_states").GetInt64();
        Assert.Equal(
            Distinct(Run("check", "--scenario", "lazy-borrowers", "--vcpus", "3", "--search", "exhaustive", "--json").Out),
            Distinct(Run("check", "--scenario", borrowers, "--search", "exhaustive", "--json").Out));

        var file = Path.Combine(RepoPaths.Root, "examples", "check", "exit-vs-switch.yaml");
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", file, "--strategy", "BrokenCpumaskOnly", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("violation: G1:", output, StringComparison.Ordinal);
        var replay = Run("replay", path);
        Assert.Equal(ExitCodes.Finding, replay.Exit);
        Assert.EndsWith(replay.Out, output, StringComparison.Ordinal);
        Assert.StartsWith($"replay: scenario {file}, strategy BrokenCpumaskOnly, 3 vCPUs, ", replay.Out, StringComparison.Ordinal);
    }

    /// <summary>
    /// The workload examples with the process steps (cow_write, munmap, mmap, mprotect, clone_thread, sleep, ...) are
    /// check scenarios too: cow-threads-sleep.yaml is explored completely and clean under Linux61, the same on every
    /// run; under BrokenCpumaskOnly the explorer finds a vCPU left holding the shell's mm (G1) and the counterexample
    /// replays; every workload example's search starts (capped: exit 3, or 0 if it fits).
    /// </summary>
    [Fact]
    public void TheProcessStepExamplesAreExplored()
    {
        var file = Path.Combine(RepoPaths.Root, "examples", "workloads", "cow-threads-sleep.yaml");
        var clean = Run("check", "--scenario", file, "--search", "exhaustive", "--threads", "1");
        Assert.Equal(ExitCodes.Ok, clean.Exit);
        Assert.Contains("no violation: every schedule explored", clean.Out, StringComparison.Ordinal);
        Assert.Equal(clean.Out, Run("check", "--scenario", file, "--search", "exhaustive", "--threads", "1").Out);

        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json");
        var (exit, output, _) = Run("check", "--scenario", file, "--strategy", "BrokenCpumaskOnly", "--search", "exhaustive", "--threads", "1", "--out", path);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("violation: G1:", output, StringComparison.Ordinal);
        var replay = Run("replay", path);
        Assert.Equal(ExitCodes.Finding, replay.Exit);
        Assert.EndsWith(replay.Out, output, StringComparison.Ordinal);

        foreach (var f in Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples", "workloads"), "*.yaml"))
        {
            var (e, _, err) = Run("check", "--scenario", f, "--search", "exhaustive", "--threads", "1", "--max-states", "2000");
            Assert.True(e is ExitCodes.Ok or ExitCodes.Incomplete, $"{f}: exit {e}: {err}");
        }
    }

    /// <summary>Every example check file reads, and a search of it starts (capped: exit 3, or 0 if it fits).</summary>
    [Fact]
    public void EveryExampleCheckFileRuns()
    {
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples", "check"), "*.yaml");
        Assert.True(files.Length >= 5, $"{files.Length} example check files");
        foreach (var f in files)
        {
            var (exit, _, err) = Run("check", "--scenario", f, "--search", "exhaustive", "--threads", "1", "--max-states", "2000");
            Assert.True(exit is ExitCodes.Ok or ExitCodes.Incomplete, $"{f}: exit {exit}: {err}");
        }
    }

    [Theory]
    [InlineData("vcpus: two\n", ":1:8: ")]
    [InlineData("vcpus: 2\nimages: { a: { regions: [ { start: 0x400000, pages: 8 } ] } }\nprocesses: [ { name: p, image: b } ]\nprograms: { 0: [ run: p ] }\n", ":3:32: unknown image 'b'; images: a")]
    [InlineData("vcpus: 2\nimages: { a: { regions: [ { start: 0x400000, pages: 8 } ] } }\nprocesses: [ { name: p, image: a } ]\nprograms: { 0: [ jump: p ] }\n", ":4:18: unknown step 'jump'")]
    [InlineData("vcpus: 40\nimages: { a: { regions: [ { start: 0x400000, pages: 8 } ] } }\nprocesses: [ { name: p, image: a } ]\nprograms: { 0: [ run: p ] }\n", ":1:1: pvmmu check explores at most 16 vCPUs; the file has 40")]
    public void AMalformedScenarioFileIsOneLineWithWhereAndExitOne(string text, string where)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, text);
        var (exit, _, err) = Run("check", "--scenario", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.StartsWith("pvmmu check: " + path + where, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("--scenario", "nope", "--scenario: expected one of lazy-exit, lazy-borrowers, exit-vs-switch, threads-exit, exit-vs-fork, gfp-atomic-fallback, lazy-vmap, xsa-401, xsa-286, xsa-286-pv64 or a scenario file (FILE.yaml); got 'nope'")]
    [InlineData("--scenario", "/no/such/file.yaml", "/no/such/file.yaml:1:1: cannot read: ")]
    [InlineData("--vcpus", "4", "exit-vs-switch.yaml has 3 vCPUs; --vcpus 4 disagrees")]
    public void ABadScenarioFileOptionIsOneLineAndExitOne(string flag, string value, string message)
    {
        var file = Path.Combine(RepoPaths.Root, "examples", "check", "exit-vs-switch.yaml");
        var (exit, _, err) = flag == "--vcpus" ? Run("check", "--scenario", file, flag, value) : Run("check", flag, value);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    private static string Line(string output, string start) =>
        output.Split('\n').Single(l => l.StartsWith(start, StringComparison.Ordinal));

    [Trait("Category", "Slow")]
    [Fact]
    public void CheckOfAnUpstreamPathCoversEveryScheduleAndExitsZero()
    {
        var (exit, output, _) = Run("check", "--scenario", "lazy-exit", "--strategy", "Linux411", "--vcpus", "3");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.StartsWith("seed 1\n", output, StringComparison.Ordinal);
        Assert.Contains("no violation: every schedule explored (", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json", "expected JSON")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"schedule\": [\"v9 jump\"]}", "expected \"vN step\", \"vN step/A\" (A from 1 to 2) or \"vN ipi\"")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux99\", \"vcpus\": 2, \"schedule\": []}", "unknown strategy")]
    [InlineData("{\"strategy\": \"Linux61\", \"vcpus\": 2, \"schedule\": []}", "expected a string field \"scenario\"")]
    [InlineData("[1, 2]", "expected a JSON object with the fields scenario, strategy, vcpus and schedule")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": \"two\", \"schedule\": []}", "expected a whole-number field \"vcpus\"")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 99, \"schedule\": []}", "expected \"vcpus\" from 2 to 16, as pvmmu check takes them; got 99")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"schedule\": [1]}", "schedule item 1: expected a string such as \"v1 step\", got 1")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"violation\": 3, \"schedule\": []}", "expected a string field \"violation\"")]
    [InlineData("{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"schedule\": [\"v9 step\"]}", "move 1: v9 step is not possible here; the schedule does not fit this scenario")]
    [InlineData("{\"scenario\": \"xsa-401\", \"strategy\": \"current\", \"vcpus\": 2, \"schedule\": [\"v1 ipi\"]}", "move 1: v1 ipi is not possible here")]
    public void AMalformedReplayFileIsOneLineAndExitOne(string text, string message)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        var (exit, _, err) = Run("replay", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.TrimEnd().Split('\n'));
    }
}
