using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// <c>run --trace-cmd</c> and <c>run --json</c>'s <c>events</c>: the same counts, per phase, task and vCPU, the first
/// in the layout of <c>trace-cmd report | awk -f validation/real-xen/tracecmd-count.awk | LC_ALL=C sort | uniq -c</c>.
/// </summary>
public sealed partial class TraceCmdTests
{
    [GeneratedRegex(@"^ *(\d+) (\S+) (\S+) \[(\d{3})\] (\S+)$")]
    private static partial Regex Line();

    [Theory]
    [InlineData("kbuild", "Linux61")]
    [InlineData("lazy-exit", "NoExitUnpin")]
    public void TheTraceCmdLinesAreTheJsonsCountsPerPhaseTaskAndVcpu(string workload, string strategy)
    {
        var (exit, text, _) = Run("run", "--workload", workload, "--strategy", strategy, "--trace-cmd");
        Assert.Equal(0, exit);
        var (jexit, json, _) = Run("run", "--workload", workload, "--strategy", strategy, "--json");
        Assert.Equal(0, jexit);
        var events = JsonNode.Parse(json)!["events"]!;

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var keys = new List<string>();
        var fromLines = new Dictionary<(string Phase, string Task, string Event), long>();
        var perVcpu = new Dictionary<(string Phase, int Vcpu, string Event), long>();
        foreach (var l in lines)
        {
            var m = Line().Match(l);
            Assert.True(m.Success, l);
            Assert.True(l.IndexOf(' ', StringComparison.Ordinal) <= 7 && l.Length > 8 && l[7] == ' ', "uniq -c's %7d and a space: " + l);
            var n = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.True(n > 0, l);
            var (phase, task, vcpu, ev) = (m.Groups[2].Value, m.Groups[3].Value, int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), m.Groups[5].Value);
            keys.Add(l[8..]);
            fromLines[(phase, task, ev)] = fromLines.GetValueOrDefault((phase, task, ev)) + n;
            perVcpu[(phase, vcpu, ev)] = perVcpu.GetValueOrDefault((phase, vcpu, ev)) + n;
        }

        // sort | uniq -c: sorted byte by byte on the key, each key once.
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
        Assert.Equal(keys.Count, keys.Distinct().Count());

        // Every count of the JSON's per-task objects is the lines' sum over vCPUs, and nothing else has a line.
        var seen = 0;
        foreach (var (phase, scope) in events["phases"]!.AsObject())
        {
            foreach (var (task, counts) in scope!["tasks"]!.AsObject())
            {
                foreach (var section in new[] { "tracepoints", "tracepoint_details" })
                {
                    foreach (var (ev, value) in counts![section]!.AsObject())
                    {
                        var n = value!.GetValue<long>();
                        Assert.Equal(n, fromLines.GetValueOrDefault((phase, task, ev)));
                        seen += n > 0 ? 1 : 0;
                    }
                }
            }

            // The per-vCPU objects are the sink's own counts: the lines summed over tasks give them too.
            var vcpus = scope!["vcpus"]!.AsArray();
            for (var v = 0; v < vcpus.Count; v++)
            {
                foreach (var (ev, value) in vcpus[v]!["tracepoints"]!.AsObject())
                {
                    Assert.Equal(value!.GetValue<long>(), perVcpu.GetValueOrDefault((phase, v, ev)));
                }
            }
        }

        Assert.Equal(fromLines.Count, seen);
    }

    [Fact]
    public void TotalsLeaveOutSetupAndSumTheTasksAndTheVcpus()
    {
        var (_, json, _) = Run("run", "--workload", "kbuild", "--json");
        var events = JsonNode.Parse(json)!["events"]!;
        var totals = events["totals"]!;
        foreach (var (ev, value) in totals["all"]!["tracepoints"]!.AsObject())
        {
            long phases = 0;
            foreach (var (phase, scope) in events["phases"]!.AsObject())
            {
                phases += phase == "setup" ? 0 : scope!["all"]!["tracepoints"]![ev]!.GetValue<long>();
            }

            var tasks = totals["tasks"]!.AsObject().Sum(t => t.Value!["tracepoints"]![ev]!.GetValue<long>());
            var vcpus = totals["vcpus"]!.AsArray().Sum(v => v!["tracepoints"]![ev]!.GetValue<long>());
            Assert.Equal(phases, value!.GetValue<long>());
            Assert.Equal(phases, tasks);
            Assert.Equal(phases, vcpus);
        }

        // The existing keys are still there, unchanged in name.
        var root = JsonNode.Parse(json)!.AsObject();
        foreach (var key in new[] { "seed", "workload", "strategy", "phases", "totals", "totals_leave_out", "warning_list", "violations" })
        {
            Assert.True(root.ContainsKey(key), key);
        }
    }

    [Fact]
    public void ThePerfettoTraceNamesEachMovesTaskAndItsTracepointsAsTheJsonDoes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.json");
        var (exit, json, err) = Run("run", "--workload", "lazy-exit", "--trace", path, "--json");
        Assert.True(exit == 0, err);
        var events = JsonNode.Parse(json)!["events"]!;
        var tasks = events["task_names"]!.AsArray().Select(t => t!.GetValue<string>()).ToHashSet();
        var trace = JsonNode.Parse(File.ReadAllText(path))!;
        File.Delete(path);
        var sums = new Dictionary<(string Phase, string Event), long>();
        var moves = 0;
        foreach (var e in trace["traceEvents"]!.AsArray())
        {
            var args = e!["args"]?.AsObject();
            if (args is null || !args.ContainsKey("move") || !args.ContainsKey("task") || e["cat"]!.GetValue<string>() != args["phase"]!.GetValue<string>())
            {
                continue;
            }

            // A move's slice (depth 1; its groups carry the same move number but a group's category).
            moves++;
            Assert.Contains(args["task"]!.GetValue<string>(), tasks);
            foreach (var (name, value) in args)
            {
                if (name.StartsWith("xen_", StringComparison.Ordinal))
                {
                    var key = (args["phase"]!.GetValue<string>(), name);
                    sums[key] = sums.GetValueOrDefault(key) + value!.GetValue<long>();
                }
            }
        }

        Assert.True(moves > 0);

        // The exit phase is all moves (the final switch to init_mm counts for switch): its counts are the moves' sum.
        foreach (var (name, value) in events["phases"]!["exit"]!["all"]!["tracepoints"]!.AsObject())
        {
            Assert.Equal(value!.GetValue<long>(), sums.GetValueOrDefault(("exit", name)));
        }

        Assert.Contains(sums, s => s.Key.Phase == "exit" && s.Value > 0);
    }

    [Fact]
    public void TraceCmdAndJsonTogetherAreRefusedInOneLine()
    {
        var (exit, output, err) = Run("run", "--trace-cmd", "--json");
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Contains("--trace-cmd", err, StringComparison.Ordinal);
    }
}
