using System.Collections.Concurrent;
using System.Text.Json;

namespace PvMmu.Cli.Tests.Corpus;

/// <summary>
/// The verdict corpus (Corpus/README.md): each case runs as <c>pvmmu</c> would run it and must exit with the code its
/// folder names; beside the verdict, properties that need no captured output: the same input twice gives the same
/// bytes, a bad input is one line on stderr naming the line marked at fault, JSON parses and has the documented
/// fields, and what the output says of its verdict agrees with the folder. End to end, so in the slow set.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CorpusTests
{
    private static readonly string Root = Path.Combine(RepoPaths.Root, "tests", "PvMmu.Cli.Tests", "Corpus");

    /// <summary>Each folder and the exit code it stands for (docs/cli.md).</summary>
    private static readonly Dictionary<string, int> Verdicts = new(StringComparer.Ordinal)
    {
        ["holds"] = ExitCodes.Ok,
        ["finding"] = ExitCodes.Finding,
        ["bad-input"] = ExitCodes.BadInput,
        ["capped"] = ExitCodes.Incomplete,
    };

    /// <summary>The fields docs/cli.md names for each command's <c>--json</c> object.</summary>
    private static readonly Dictionary<string, string[]> DocumentedFields = new(StringComparer.Ordinal)
    {
        ["run"] = ["seed", "workload", "strategy", "vcpus", "pages", "xen", "phases", "totals", "cost_table", "vcpu_modeled_us", "warning_list", "oopses", "violations"],
        ["check"] = ["scenario", "vcpus", "search", "answer_from", "seed", "bound", "complete", "incomplete_because", "states", "states_exact", "distinct_states", "deepest", "exhausted", "timed_out", "violation"],
    };

    /// <summary>compare's <c>--json</c> has these per strategy (<c>delta_percent</c> all but the baseline).</summary>
    private static readonly string[] CompareStrategyFields =
        ["total_micros", "delta_percent", "phases", "vcpu_micros", "cost_micros", "cost_counts", "warnings", "oopses", "violations"];

    private static readonly ConcurrentDictionary<(string Case, int Round), Lazy<Outcome>> Runs = new();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var folder in Verdicts.Keys)
        {
            foreach (var path in Directory.GetFiles(Path.Combine(Root, folder)).Where(IsCase).Order(StringComparer.Ordinal))
            {
                data.Add(folder, Path.GetFileName(path));
            }
        }

        return data;
    }

    [Fact]
    public void EveryVerdictHasCasesOfBothKinds()
    {
        foreach (var folder in Verdicts.Keys.Where(f => f != "capped"))
        {
            var cases = Directory.GetFiles(Path.Combine(Root, folder)).Where(IsCase).ToList();
            Assert.Contains(cases, c => c.EndsWith(".xen", StringComparison.Ordinal));
            Assert.Contains(cases, c => c.EndsWith(".args", StringComparison.Ordinal));
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(Root, "capped"), "*.args"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheExitCodeIsTheFoldersVerdict(string folder, string name)
    {
        var r = Run(folder, name, 0);
        Assert.True(Verdicts[folder] == r.Exit, $"{folder}/{name}: exit {r.Exit}\n{r.Out}\n{r.Err}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheSameInputTwiceGivesTheSameBytes(string folder, string name)
    {
        var first = Run(folder, name, 0);
        var second = Run(folder, name, 1);
        Assert.Equal(first.Exit, second.Exit);
        Assert.Equal(first.Out, second.Out);
        Assert.Equal(Untimed(first.Err), Untimed(second.Err));
        Assert.Equal(first.Files, second.Files);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnlyABadInputWritesAnErrorAndNothingPrintsAStackTrace(string folder, string name)
    {
        var r = Run(folder, name, 0);
        Assert.DoesNotContain("   at ", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Out + r.Err, StringComparison.Ordinal);
        if (folder != "bad-input")
        {
            Assert.True(Untimed(r.Err).Length == 0, r.Err);
        }
    }

    /// <summary>
    /// A bad input is one line on stderr and nothing on stdout; when a file is at fault, the line names it and the
    /// line marked <c># &lt;- error</c> in it; otherwise it names one of the flags given.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ABadInputIsOneLineNamingWhereItIsWrong(string folder, string name)
    {
        if (folder != "bad-input")
        {
            return;
        }

        var r = Run(folder, name, 0);
        Assert.Equal(string.Empty, r.Out);
        Assert.EndsWith("\n", r.Err, StringComparison.Ordinal);
        Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("pvmmu", r.Err, StringComparison.Ordinal);

        var dir = Path.Combine(Root, folder);
        var inputs = name.EndsWith(".xen", StringComparison.Ordinal)
            ? [Path.Combine(dir, name)]
            : ReadArgs(Path.Combine(dir, name)).Select(w => Path.Combine(dir, w)).Where(File.Exists).ToList();
        var marked = inputs.Select(p => (Path: p, Line: Array.FindIndex(File.ReadAllLines(p), l => l.Contains("# <- error", StringComparison.Ordinal)) + 1))
            .Where(m => m.Line > 0).ToList();
        if (marked.Count > 0)
        {
            var (path, line) = Assert.Single(marked);
            Assert.Contains($"{path}:{line}:", r.Err, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(ReadArgs(Path.Combine(dir, name)), w => w.StartsWith("--", StringComparison.Ordinal) && r.Err.Contains(w, StringComparison.Ordinal));
        }
    }

    /// <summary>A <c>--json</c> case prints one JSON object with the fields docs/cli.md documents for its command.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void JsonOutputParsesAndHasTheDocumentedFields(string folder, string name)
    {
        if (!name.EndsWith(".args", StringComparison.Ordinal) || !ReadArgs(Path.Combine(Root, folder, name)).Contains("--json") || folder == "bad-input")
        {
            return;
        }

        var command = ReadArgs(Path.Combine(Root, folder, name))[0];
        using var doc = JsonDocument.Parse(Run(folder, name, 0).Out);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        if (command == "compare")
        {
            var strategies = Objects(doc.RootElement).Where(o => o.TryGetProperty("total_micros", out _)).ToList();
            Assert.True(strategies.Count >= 2, "compare reports at least two strategies");
            var baseline = doc.RootElement.GetProperty("baseline").GetString();
            var t0 = strategies.Single(x => x.GetProperty("name").GetString() == baseline).GetProperty("total_micros").GetDouble();
            foreach (var x in strategies)
            {
                // The baseline has no Δ against itself; every other strategy's is its total against the baseline's.
                var isBaseline = x.GetProperty("name").GetString() == baseline;
                Assert.All(CompareStrategyFields.Where(f => !isBaseline || f != "delta_percent"), f => Assert.True(x.TryGetProperty(f, out _), $"compare: no '{f}'"));
                Assert.Equal(isBaseline, !x.TryGetProperty("delta_percent", out var delta));
                if (!isBaseline)
                {
                    var t = x.GetProperty("total_micros").GetDouble();
                    Assert.InRange(delta.GetDouble() - (100 * (t - t0) / t0), -0.02, 0.02);
                }
            }

            return;
        }

        Assert.All(DocumentedFields[command], f => Assert.True(doc.RootElement.TryGetProperty(f, out _), $"{command}: no '{f}'"));
        if (command == "check")
        {
            // What the JSON says of its verdict is what the folder says: complete only when it holds, a violation only
            // for a finding, a reason to be incomplete whenever it is not a proof.
            var root = doc.RootElement;
            Assert.Equal(folder == "holds", root.GetProperty("complete").GetBoolean());
            Assert.Equal(folder == "finding", root.GetProperty("violation").ValueKind != JsonValueKind.Null);
            Assert.Equal(folder == "holds", root.GetProperty("incomplete_because").ValueKind == JsonValueKind.Null);
        }
    }

    /// <summary>A script's summary line counts failed expectations: none where it holds, some in a finding.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void AScriptsSummaryAgreesWithTheVerdict(string folder, string name)
    {
        if (!name.EndsWith(".xen", StringComparison.Ordinal) || folder == "bad-input")
        {
            return;
        }

        var path = Path.Combine(Root, folder, name);
        var summaries = Run(folder, name, 0).Out.Split('\n')
            .Where(l => l.StartsWith(path + ": ", StringComparison.Ordinal) && l.EndsWith(" failed", StringComparison.Ordinal))
            .Select(l => int.Parse(l.Split(' ')[^2], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(summaries);
        if (folder == "holds")
        {
            Assert.All(summaries, failed => Assert.Equal(0, failed));
        }
        else
        {
            Assert.Contains(summaries, failed => failed > 0);
        }
    }

    /// <summary>Stderr without check's <c>stats:</c> line, whose elapsed time and rate are the run's timing (docs/cli.md).</summary>
    /// <summary>
    /// Standard error without its timed lines: the search's closing <c>stats:</c> and the <c>progress:</c> lines a
    /// search writes about once a second while it runs (docs/cli.md), which a loaded machine makes appear at all.
    /// </summary>
    private static string Untimed(string err) =>
        string.Concat(err.Split('\n').Where(l => !l.StartsWith("stats: ", StringComparison.Ordinal) && !l.StartsWith("progress: ", StringComparison.Ordinal)).Select(l => l + "\n")).TrimEnd('\n');

    private static bool IsCase(string path) => path.EndsWith(".xen", StringComparison.Ordinal) || path.EndsWith(".args", StringComparison.Ordinal);

    private static string[] ReadArgs(string path) => File.ReadAllText(path).Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    private static IEnumerable<JsonElement> Objects(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            yield return e;
            foreach (var p in e.EnumerateObject())
            {
                foreach (var o in Objects(p.Value))
                {
                    yield return o;
                }
            }
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
            {
                foreach (var o in Objects(item))
                {
                    yield return o;
                }
            }
        }
    }

    /// <summary>One run of a case (cached: several properties look at the same run); round 1 is the second run.</summary>
    private static Outcome Run(string folder, string name, int round) =>
        Runs.GetOrAdd((folder + "/" + name, round), _ => new Lazy<Outcome>(() => RunCase(folder, name))).Value;

    private static Outcome RunCase(string folder, string name)
    {
        var dir = Path.Combine(Root, folder);
        var path = Path.Combine(dir, name);

        // The same directory for both rounds, so that a path the output names is the same; emptied before each.
        var tmp = Path.Combine(Path.GetTempPath(), "pvmmu-corpus", folder, Path.GetFileNameWithoutExtension(name));
        if (Directory.Exists(tmp))
        {
            Directory.Delete(tmp, true);
        }

        Directory.CreateDirectory(tmp);
        string[] args = name.EndsWith(".xen", StringComparison.Ordinal)
            ? ["xen", "run", path, "--all-versions"]
            : [.. ReadArgs(path).Select(w => w.Replace("{tmp}", tmp, StringComparison.Ordinal)).Select(w => File.Exists(Path.Combine(dir, w)) ? Path.Combine(dir, w) : w)];
        var (exit, stdout, stderr) = Pvmmu.Run(args);
        var files = string.Join('\n', Directory.GetFiles(tmp).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + "\n" + File.ReadAllText(f)));
        return new Outcome(exit, stdout, stderr, files);
    }

    private sealed record Outcome(int Exit, string Out, string Err, string Files);
}
