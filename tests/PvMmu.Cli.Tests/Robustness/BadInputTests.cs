using PvMmu.Cli.Commands;
using PvMmu.Sim.Inputs;
using PvMmu.Sim.Workloads;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Robustness;

/// <summary>
/// Each class of misbehaviour a user can provoke, one test each: a documented value at the top of its range, a
/// hostile or broken file, a non-finite number, a silent wrong answer, a flag that does not apply. Every one must
/// end in exit 0, 1, 2 or 3, and on 1 in exactly one short line on stderr with nothing on stdout and no stack trace.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pvmmu-robust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Exit 1 with one line on stderr, prefixed pvmmu, no longer than a message plus a cut quotation.</summary>
    private static string OneLine((int Exit, string Out, string Err) r)
    {
        Assert.True(r.Exit == ExitCodes.BadInput, $"exit {r.Exit}: {r.Err}");
        var line = Assert.Single(r.Err.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("pvmmu", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        Assert.True(line.Length < 400, $"{line.Length} characters: {line[..Math.Min(200, line.Length)]}");
        return line;
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("run", "--workload", "kbuild", "--vcpus", "64")]
    [InlineData("compare", "--vcpus", "64")]
    [InlineData("run", "--workload", "lat-proc-exec", "--vcpus", "64")]
    public void DocumentedVcpusAtTheTopOfTheirRangeRun(params string[] args)
    {
        // kbuild on 64 vCPUs keeps 128 processes and their execs: more than the 63 mm_structs the kernel model had.
        var (exit, _, err) = Run(args);
        Assert.True(exit is ExitCodes.Ok or ExitCodes.Finding, err);
        Assert.Equal(string.Empty, err);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheDocumentedPageRangeRunsAtItsTopAndIsRefusedPastIt()
    {
        Assert.Equal(ExitCodes.Ok, Run("run", "--workload", "teardown", "--pages", "4M").Exit);
        Assert.Contains("--pages: expected a page count from 1 to 4M", OneLine(Run("run", "--workload", "teardown", "--pages", "4194305")), StringComparison.Ordinal);
        Assert.Contains("'99999999999999999999G'", OneLine(Run("sweep", "--pages", "1..99999999999999999999G")), StringComparison.Ordinal);
    }

    [Fact]
    public void AScenarioNeedingMoreGuestMemoryThanTheModelBootsIsRefusedWithTheLimitNamed()
    {
        // 15 regions of the documented maximum each: every one within its own limit, 60M pages in all.
        var regions = string.Join(", ", Enumerable.Range(0, WorkloadFile.MaxRegions).Select(i => $"{{ start: 0x{0x10_0000_0000L * (i + 1):x}, pages: {WorkloadFile.MaxPages} }}"));
        var path = Write("big.yaml", $"vcpus: 1\nimages: {{ a: {{ regions: [ {regions} ] }} }}\nprocesses: [ {{ name: p, image: a }} ]\nprograms: {{ 0: [ {{ run: p }} ] }}\n");
        var line = OneLine(Run("run", "--scenario", path));
        Assert.Contains($"at most {WorkloadSpec.MaxFrames}", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExceptionThatReachesTheTopIsAnInternalErrorWithExitSeventy()
    {
        var err = new StringWriter();
        Assert.Equal(70, Program.InternalError(new InvalidOperationException("no free mm_struct\nsecond line"), err));
        var line = Assert.Single(err.ToString().TrimEnd('\n').Split('\n'));
        Assert.StartsWith("pvmmu: internal error, a bug in pvmmu: InvalidOperationException: no free mm_struct second line", line, StringComparison.Ordinal);
        Assert.EndsWith("please report it with the command line", line, StringComparison.Ordinal);
    }

    [Fact]
    public void DevicesFifosAndDirectoriesAreRefusedBeforeTheyAreOpened()
    {
        Assert.Contains("not a regular file (a character device)", OneLine(Run("run", "--cost", "/dev/zero")), StringComparison.Ordinal);
        Assert.Contains("not a regular file (a directory)", OneLine(Run("replay", _dir)), StringComparison.Ordinal);
        var fifo = Path.Combine(_dir, "fifo");
        using (var mk = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            mk.WaitForExit();
        }

        // Opening a FIFO for reading blocks until a writer comes: this returned only because it was never opened.
        Assert.Contains("not a regular file (a FIFO)", OneLine(Run("run", "--scenario", fifo)), StringComparison.Ordinal);
        Assert.Contains("not a regular file (a FIFO)", OneLine(Run("xen", "run", fifo)), StringComparison.Ordinal);
    }

    [Fact]
    public void AFileOverTheSizeCapOrWithAnEndlessLineIsRefusedWithoutEchoingIt()
    {
        var big = Write("big.toml", new string('#', 3000) + "\n");
        var e = Assert.Throws<InputFileException>(() => InputFile.ReadText(big, cap: 2048));
        Assert.Contains("larger than the input cap of 2k", e.Message, StringComparison.Ordinal);
        Assert.Equal(3001, InputFile.ReadText(big, cap: 4096).Length);

        var line = OneLine(Run("run", "--cost", Write("long.toml", new string('x', InputFile.MaxLineChars + 1))));
        Assert.Contains($":1:1: a line of {InputFile.MaxLineChars + 1} characters; at most {InputFile.MaxLineChars}", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dup.yaml", "vcpus: 1\nvcpus: 2\n")]
    [InlineData("dup.toml", "[prices_ns]\nptwr_trap = 1\nptwr_trap = 2\n")]
    [InlineData("dup.json", "{\"scenario\": \"lazy-exit\", \"scenario\": \"xsa-401\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"schedule\": []}")]
    public void ADuplicateKeyIsAnError(string name, string text)
    {
        var path = Write(name, text);
        var line = name.EndsWith(".yaml", StringComparison.Ordinal) ? OneLine(Run("run", "--scenario", path))
            : name.EndsWith(".toml", StringComparison.Ordinal) ? OneLine(Run("run", "--cost", path))
            : OneLine(Run("replay", path));
        Assert.Contains(path, line, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownKeyInAReplayFileIsAnError() =>
        Assert.Contains("unknown field \"schedul\"", OneLine(Run("replay", Write("r.json", "{\"scenario\": \"lazy-exit\", \"strategy\": \"Linux61\", \"vcpus\": 2, \"schedul\": []}"))), StringComparison.Ordinal);

    [Fact]
    public void NestingDeeperThanTheParsersLimitIsRefused()
    {
        Assert.Contains("expected JSON", OneLine(Run("replay", Write("deep.json", new string('[', 10_000)))), StringComparison.Ordinal);
        OneLine(Run("run", "--scenario", Write("deep.yaml", "vcpus: " + new string('[', 10_000))));
    }

    [Theory]
    [InlineData("inf")]
    [InlineData("nan")]
    [InlineData("-inf")]
    [InlineData("1e300")]
    [InlineData("-0.5")]
    public void ANonFiniteOrOutOfRangePriceIsRefused(string price) =>
        Assert.Contains("must be a finite number of nanoseconds from 0 to", OneLine(Run("compare", "--cost", Write("p.toml", $"[prices_ns]\nptwr_trap = {price}\n"))), StringComparison.Ordinal);

    [Fact]
    public void ACaptureWithAValueOfTheWrongTypeIsOneLine()
    {
        Assert.Contains("workloads.w.phases.fork.xen_mmu_set_pte: expected a count", OneLine(Run("validate", "--file", Write("c.json", "{\"workloads\": {\"w\": {\"phases\": {\"fork\": {\"xen_mmu_set_pte\": \"many\"}}}}}"))), StringComparison.Ordinal);
        Assert.Contains("workloads.w.region.pages: expected a whole number", OneLine(Run("validate", "--file", Write("d.json", "{\"workloads\": {\"w\": {\"region\": {\"start\": \"0x1000\", \"pages\": \"x\"}}}}"))), StringComparison.Ordinal);
        Assert.Contains("workloads.w: expected an object", OneLine(Run("validate", "--file", Write("e.json", "{\"workloads\": {\"w\": 3}}"))), StringComparison.Ordinal);
    }

    [Fact]
    public void AProcessThatExitsMoreOftenThanItHasThreadsIsRefusedWhereItHappens()
    {
        // run used to exit 0 on this while check flagged it: the second exit drops a reference nobody holds.
        var path = Write("twice.yaml", "vcpus: 2\nimages: { a: { regions: [ { start: 0x400000, pages: 8 } ] } }\nprocesses: [ { name: p0, image: a } ]\nprograms:\n  0: [ { run: p0 }, { exit: p0 } ]\n  1: [ { run: p0 }, { exit: p0 } ]\n");
        var line = OneLine(Run("run", "--scenario", path));
        Assert.Contains(path + ":6:", line, StringComparison.Ordinal);
        Assert.Contains("'p0' has no thread left to exit", line, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.BadInput, Run("check", "--scenario", path).Exit);

        // With two threads the same two exits are right.
        Assert.NotEqual(ExitCodes.BadInput, Run("run", "--scenario", Write("two.yaml", File.ReadAllText(path).Replace("image: a }", "image: a, threads: 2 }", StringComparison.Ordinal))).Exit);
    }

    [Theory]
    [InlineData("--strategy has no effect on the hypervisor-only scenario xsa-401", "check", "--scenario", "xsa-401", "--strategy", "Linux61")]
    [InlineData("--threads has no effect on --search random", "check", "--search", "random", "--threads", "2")]
    [InlineData("--max-states has no effect on --search pct", "check", "--search", "pct", "--max-states", "10")]
    [InlineData("--schedules has no effect on an exhaustive search", "check", "--search", "exhaustive", "--schedules", "10")]
    [InlineData("--seed has no effect on an exhaustive search", "check", "--search", "exhaustive", "--seed", "7")]
    [InlineData("--threads has no effect on --search portfolio", "check", "--threads", "2")]
    [InlineData("--pages has no effect with --scenario", "run", "--scenario", "{examples}/workloads/lazy-exit.yaml", "--pages", "8")]
    [InlineData("--workload has no effect with --scenario", "compare", "--scenario", "{examples}/workloads/lazy-exit.yaml", "--workload", "kbuild")]
    [InlineData("--xen goes with the hypervisor-only scenarios", "check", "--scenario", "lazy-exit", "--xen", "current")]
    public void AFlagThatDoesNotApplyIsRefusedSayingWhy(string message, params string[] args)
    {
        var examples = Path.Combine(RepoPaths.Root, "examples");
        Assert.Contains(message, OneLine(Run([.. args.Select(a => a.Replace("{examples}", examples, StringComparison.Ordinal))])), StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void NamesAreCaseInsensitiveAndSizesTakeSuffixes()
    {
        var canonical = Run("run", "--workload", "teardown", "--strategy", "NoExitUnpin", "--pages", "4096", "--json");
        Assert.Equal(ExitCodes.Ok, canonical.Exit);
        Assert.Equal(canonical.Out, Run("run", "--workload", "TEARDOWN", "--strategy", "noexitunpin", "--pages", "4k", "--json").Out);
        Assert.Equal(Run("check", "--scenario", "xsa-401", "--xen", "pre-xsa-401", "--search", "exhaustive", "--out", Path.Combine(_dir, "a.json")).Out.Replace(Path.Combine(_dir, "a.json"), "F", StringComparison.Ordinal),
            Run("check", "--scenario", "XSA-401", "--xen", "Pre-XSA-401", "--search", "Exhaustive", "--out", Path.Combine(_dir, "b.json")).Out.Replace(Path.Combine(_dir, "b.json"), "F", StringComparison.Ordinal));
    }

    [Fact]
    public void EveryCommandStartsFromTheSameSeed()
    {
        Assert.Equal(OptionValue.DefaultSeed, DefaultJob.Seed);
        foreach (var args in new[] { new[] { "run" }, ["check", "--search", "random", "--schedules", "1"], ["sweep", "--pages", "1k"] })
        {
            Assert.StartsWith($"seed {DefaultJob.Seed}\n", Run(args).Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AQuotedValueInAnErrorIsCut()
    {
        var line = OneLine(Run("check", "--search", new string('z', 5000)));
        Assert.Contains("'" + new string('z', Quote.MaxChars - 3) + "...'", line, StringComparison.Ordinal);
    }
}
