using System.Text.Json;
using PvMmu.Cli.Commands;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Reports;
using PvMmu.Sim.Strategies;
using PvMmu.Sim.Workloads;
using PvMmu.Xen;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// Strategy files (--strategy-file): the template and the seed's patch count exactly as the built-ins they copy, the
/// broken example is caught and replays, and every way a file can fail is one line naming the file (a compile error
/// at its line and column, an exception or an endless loop at the line that ran), never a stack trace of PvMmu.
/// </summary>
public sealed class StrategyFileTests
{
    private static string Example(string name) => Path.Combine(RepoPaths.Root, "examples", "strategies", name);

    private static string TempFile(string name, string text)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The template under a name of the test's own, as <c>pvmmu new strategy</c> writes it.</summary>
    private static string Template(string name) => TempFile(name + ".cs", NewCommand.Template(name));

    /// <summary>
    /// Two runs count alike when every metric of every phase, the warnings, oopses and violations are the same; the
    /// JSON report is compared with the strategy's name taken out.
    /// </summary>
    private static void AssertSameRun(RunResult expected, RunResult actual, string label)
    {
        Assert.True(expected.Events.SameCounts(actual.Events), label + ": counts differ");
        Assert.Equal(RunReport.Json(expected).Replace(expected.Strategy, "S", StringComparison.Ordinal), RunReport.Json(actual).Replace(actual.Strategy, "S", StringComparison.Ordinal));
    }

    public static TheoryData<string> Workloads() => [.. WorkloadCatalog.Names];

    [Theory]
    [MemberData(nameof(Workloads))]
    public void TheTemplateCountsAsLinux61OnEveryWorkload(string workload)
    {
        var mine = StrategyFiles.Load(Template("TemplateAsIs"));
        var vcpus = workload == "lazy-exit" ? 2 : 3;
        var expected = WorkloadRunner.Run(workload, ExitStrategies.Find("Linux61")!, vcpus, 64, 5, XenVersion.Current);
        AssertSameRun(expected, WorkloadRunner.Run(workload, mine, vcpus, 64, 5, XenVersion.Current), workload);
    }

    [Theory]
    [MemberData(nameof(Workloads))]
    public void TheSeedPatchFileCountsAsNoExitUnpinOnEveryWorkload(string workload)
    {
        var mine = StrategyFiles.Load(Example("no-exit-unpin.cs"));
        var vcpus = workload == "lazy-exit" ? 2 : 3;
        var expected = WorkloadRunner.Run(workload, ExitStrategies.Find("NoExitUnpin")!, vcpus, 64, 5, XenVersion.Current);
        AssertSameRun(expected, WorkloadRunner.Run(workload, mine, vcpus, 64, 5, XenVersion.Current), workload);
    }

    /// <summary>The explorer sees the template as Linux61: the same verdict and the same numbers of states.</summary>
    [Theory]
    [InlineData("lazy-exit")]
    [InlineData("exit-vs-switch")]
    public void TheExplorerSeesTheTemplateAsLinux61(string scenario)
    {
        var mine = StrategyFiles.Load(Template("TemplateExplored"));
        var a = new ExhaustiveExplorer(Scenarios.Explorable(scenario, ExitStrategies.Find("Linux61")!, 2)) { Threads = 1 }.Run();
        var b = new ExhaustiveExplorer(Scenarios.Explorable(scenario, mine, 2)) { Threads = 1 }.Run();
        Assert.Null(a.Violation);
        Assert.Null(b.Violation);
        Assert.Equal(a.States, b.States);
        Assert.Equal(a.DistinctStates, b.DistinctStates);
        Assert.Equal(a.EndStates, b.EndStates);
    }

    [Fact]
    public void RunWithTheSeedPatchFileReportsWhatNoExitUnpinReportsInEveryPhase()
    {
        var file = Run("run", "--strategy-file", Example("no-exit-unpin.cs"), "--workload", "kbuild", "--json");
        var builtIn = Run("run", "--strategy", "NoExitUnpin", "--workload", "kbuild", "--json");
        Assert.Equal(ExitCodes.Ok, file.Exit);
        Assert.Equal(ExitCodes.Ok, builtIn.Exit);
        Assert.Equal(builtIn.Out, file.Out.Replace("SeedNoExitUnpin", "NoExitUnpin", StringComparison.Ordinal));
    }

    [Fact]
    public void NewStrategyThenCompareShowsTwoEqualColumns()
    {
        var dir = Path.GetDirectoryName(TempFile("x", string.Empty))!;
        var path = Path.Combine(dir, "Mine.cs");
        var made = Run("new", "strategy", "Mine", "--out", path);
        Assert.Equal(ExitCodes.Ok, made.Exit);
        Assert.Equal(ExitCodes.BadInput, Run("new", "strategy", "Mine", "--out", path).Exit);
        var (exit, output, err) = Run("compare", "--strategy-file", path, "--strategies", "Linux61", "--workload", "lazy-exit", "--json");
        Assert.True(exit == ExitCodes.Ok, err);
        using var doc = JsonDocument.Parse(output);
        var s = doc.RootElement.GetProperty("strategies");
        Assert.Equal(2, s.GetArrayLength());
        Assert.Equal("Mine", s[1].GetProperty("name").GetString());
        Assert.Equal(s[0].GetProperty("cost_counts").GetRawText(), s[1].GetProperty("cost_counts").GetRawText());
    }

    [Theory]
    [InlineData("Linux61")]
    [InlineData("class")]
    [InlineData("9lives")]
    public void NewStrategyRefusesABuiltInNameOrAnInvalidOne(string name)
    {
        var (exit, _, err) = Run("new", "strategy", name, "--out", Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.cs"));
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void CheckCatchesTheBrokenExampleAndItsCounterexampleReplaysFromAnotherDirectory()
    {
        var dir = Path.GetDirectoryName(TempFile("x", string.Empty))!;
        var strategy = Path.Combine(dir, "skip-drop-mm-ref.cs");
        File.Copy(Example("skip-drop-mm-ref.cs"), strategy);
        var replay = Path.Combine(dir, "cex.json");
        var (exit, output, _) = Run("check", "--strategy-file", strategy, "--scenario", "lazy-exit", "--out", replay);
        Assert.Equal(ExitCodes.Finding, exit);
        Assert.Contains("strategy SkipDropMmRef", output, StringComparison.Ordinal);
        using (var doc = JsonDocument.Parse(File.ReadAllText(replay)))
        {
            Assert.Equal("skip-drop-mm-ref.cs", doc.RootElement.GetProperty("strategy_file").GetString());
        }

        // The replay file finds the strategy file beside itself, wherever the two are moved.
        var moved = Path.GetDirectoryName(TempFile("x", string.Empty))!;
        File.Move(strategy, Path.Combine(moved, "skip-drop-mm-ref.cs"));
        File.Move(replay, Path.Combine(moved, "cex.json"));
        var (again, timeline, err) = Run("replay", Path.Combine(moved, "cex.json"));
        Assert.True(again == ExitCodes.Finding, err);
        Assert.EndsWith("the violation reproduced\n", timeline, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheSafeExamplesPassCheck()
    {
        foreach (var example in new[] { "no-exit-unpin.cs", "unpin-if-large.cs" })
        {
            var (exit, _, err) = Run("check", "--strategy-file", Example(example), "--scenario", "lazy-exit", "--search", "exhaustive", "--threads", "1");
            Assert.True(exit == ExitCodes.Ok, example + ": " + err);
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheMainJobShowsAFileBesideTheBuiltInsAndFailsOnlyForAnUnsafeOne()
    {
        var safe = new StringWriter();
        var dir = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}");
        Assert.Equal(ExitCodes.Ok, DefaultJob.Run(safe, new StringWriter(), dir, StrategyFiles.LoadAll([Example("no-exit-unpin.cs")])));
        // A row of its own in the cost table, in the safety half and in the exit's events, as each built-in has.
        var lines = safe.ToString().Split('\n');
        Assert.Equal(lines.Count(l => l.StartsWith("Linux61 ", StringComparison.Ordinal)), lines.Count(l => l.StartsWith("SeedNoExitUnpin ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.StartsWith("SeedNoExitUnpin ", StringComparison.Ordinal) && l.Contains("safe: every schedule explored", StringComparison.Ordinal));
        Assert.Equal(ExitCodes.Finding, DefaultJob.Run(new StringWriter(), new StringWriter(), dir, StrategyFiles.LoadAll([Example("skip-drop-mm-ref.cs")])));
    }

    /// <summary>A missing semicolon at a place the test knows: the compiler's line, at that line and column, exit 1.</summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void ACompileErrorIsFileLineColumnAndExitsOne()
    {
        var source = NewCommand.Template("Typo");
        const string statement = "mask |= 1UL << t;";
        var at = source.IndexOf(statement, StringComparison.Ordinal) + statement.Length - 1;
        var line = source[..at].Count(c => c == '\n') + 1;
        var column = at - source.LastIndexOf('\n', at - 1);
        var path = TempFile("Typo.cs", source.Remove(at, 1));
        var (exit, output, err) = Run("run", "--strategy-file", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith($"{path}:{line}:{column}: error CS1002: ", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Unusable() => new()
    {
        { "class NotAStrategy { }", "no class implements IExitStrategy" },
        { NewCommand.Template("One") + NewCommand.Template("Two").Replace("using ", "// using ", StringComparison.Ordinal), "2 classes implement IExitStrategy" },
        { NewCommand.Template("Clash").Replace("\"Clash\"", "\"Linux61\"", StringComparison.Ordinal), "is a built-in strategy's" },
        { NewCommand.Template("Poke").Replace("ulong mask = 0;", "ulong mask = 0; _ = k.Xen.ToString();", StringComparison.Ordinal), "error CS0012" },
    };

    [Trait("Category", "Slow")]
    [Theory]
    [MemberData(nameof(Unusable))]
    public void AFileThatCannotBeUsedIsOneLineAndExitsOne(string source, string expected)
    {
        var path = TempFile("Bad.cs", source);
        var (exit, _, err) = Run("run", "--strategy-file", path);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith(path + ":", err, StringComparison.Ordinal);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    /// <summary>
    /// An exception in the user's code is a finding (an oops, exit 2) naming the file, the line that threw (found by
    /// the test in the source) and the model step; PvMmu's own frames are never printed.
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("throw new System.InvalidOperationException(\"boom\");", "threw InvalidOperationException: boom")]
    [InlineData("while (k.Cpus > 0) { }", "did not return within")]
    [InlineData("Forever(k); static void Forever(Kernel k) => Forever(k);", "threw InsufficientExecutionStackException")]
    public void AnExceptionOrAnEndlessLoopInTheFileIsAFindingAtItsLine(string statement, string expected)
    {
        var source = NewCommand.Template("Faulty").Replace("ulong mask = 0;", "ulong mask = 0;\n        " + statement, StringComparison.Ordinal);
        var line = source[..source.IndexOf(statement, StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var path = TempFile("Faulty.cs", source);
        var (exit, output, err) = Run("run", "--strategy-file", path, "--workload", "lazy-exit", "--pages", "8");
        Assert.True(exit == ExitCodes.Finding, err);
        Assert.Contains($"strategy Faulty {expected}", output, StringComparison.Ordinal);
        Assert.Contains($"at {path}:{line}, in IpiMask", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at PvMmu", output + err, StringComparison.Ordinal);
    }

    [Fact]
    public void StrategyAndStrategyFileTogetherAreRefused()
    {
        var (exit, _, err) = Run("run", "--strategy", "Linux61", "--strategy-file", Example("no-exit-unpin.cs"));
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--strategy and --strategy-file", err, StringComparison.Ordinal);
    }

    /// <summary>The same text is compiled once per process, wherever it lies: the second load finds it.</summary>
    [Fact]
    public void TheSameTextIsCompiledOnce()
    {
        var text = NewCommand.Template("Cached") + $"// {Guid.NewGuid():N}\n";
        var first = StrategyFiles.Load(TempFile("Cached.cs", text));
        var compiled = StrategyFiles.LastCompiled;
        var second = StrategyFiles.Load(TempFile("Cached.cs", text));
        Assert.False(StrategyFiles.LastCompiled);
        Assert.Equal(first.Name, second.Name);

        // The first load compiled unless the disk cache already had this text (it cannot: the text is new).
        Assert.True(compiled);
    }
}
