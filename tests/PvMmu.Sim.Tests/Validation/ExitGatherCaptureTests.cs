using System.Text.Json.Nodes;
using PvMmu.Events;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Validation;
using PvMmu.Tests;

namespace PvMmu.Sim.Tests.Validation;

/// <summary>
/// Issue 18's E3 against the real guest: in pvtest's fork-exit-N the child's exit tears down the N pages, and every
/// committed capture of a stock 6.1 shows, beside the one empty xen_mc_flush per zap_pte_range slice, one more per
/// mmu_gather restart (⌊(N + the process's own pages) / 9,698⌋: 1 at N = 10,000, 10 at N = 100,000). The comparison
/// is of pvtest's own events (the capture's phase counts less its other_tasks part: a kworker's context switches
/// are noise) and, as validate does, of each workload's difference from fork-exit-0.
/// </summary>
public sealed class ExitGatherCaptureTests
{
    private static string Captures => Path.Combine(RepoPaths.Root, "validation", "real-xen", "captures");

    /// <summary>pvtest's own empty xen_mc_flush calls in a workload's exit phase.</summary>
    private static long RealOwnEmpty(JsonNode capture, string workload)
    {
        var w = capture["workloads"]![workload]!;
        long Get(JsonNode? section) => section?["exit"]?["xen_mc_flush_empty"]?.GetValue<long>() ?? 0;
        return Get(w["phases"]) - Get(w["other_tasks"]);
    }

    private static long ModelEmpty(RealCapture capture, string workload)
    {
        var w = PvtestWorkload.Parse(workload)!;
        var counts = PvtestValidation.Model(w, capture.Region(workload)?.Start ?? 0, new Linux61());
        var exit = w.PhaseIndex("exit");
        return counts[exit][(int)EventKind.McFlush] - counts[exit][(int)EventKind.McFlushIssued];
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("linux-6.1-xen-4.17.json", "fork-exit-10000")]
    [InlineData("linux-6.1-xen-4.17.json", "fork-exit-100000")]
    [InlineData("linux-6.1-xen-4.17.repeat.json", "fork-exit-100000")]
    [InlineData("linux-6.1-stock-build-xen-4.17.xentrace.json", "fork-exit-100000")]
    public void TheModelsEmptyFlushesAtExitAreTheRealGuestsOwn(string file, string workload)
    {
        var path = Path.Combine(Captures, file);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var capture = RealCapture.Load(path);
        Assert.Equal(
            RealOwnEmpty(json, workload) - RealOwnEmpty(json, "fork-exit-0"),
            ModelEmpty(capture, workload) - ModelEmpty(capture, "fork-exit-0"));
    }
}
