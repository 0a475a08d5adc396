using System.Globalization;
using System.Text.Json;
using PvMmu.Cli.Commands;
using PvMmu.Sim.Costs;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>The cost commands (default job, run, compare, sweep, bench): outputs, exact counts, traces, and bad input.</summary>
public sealed class CostCliTests
{
    private static string Temp(string ext, string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.{ext}");
        File.WriteAllText(path, text);
        return path;
    }

    private static string TempDir() => Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}");

    [Trait("Category", "Slow")]
    [Fact]
    public void TheDefaultJobComparesTheStrategiesOnTheDefaultMixAndWritesItsReport()
    {
        var dir = TempDir();
        var o = new StringWriter();
        var exit = DefaultJob.Run(o, new StringWriter(), dir);
        var output = o.ToString();
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.StartsWith("seed 1\n", output, StringComparison.Ordinal);
        Assert.Contains("workload kbuild, 2 vCPUs", output, StringComparison.Ordinal);
        var lines = output.Split('\n');
        var header = Array.FindIndex(lines, l => l.StartsWith("modeled µs", StringComparison.Ordinal));
        for (var i = 0; i < DefaultJob.Compared.Length; i++)
        {
            Assert.StartsWith(DefaultJob.Compared[i] + " ", lines[header + 1 + i], StringComparison.Ordinal);
        }

        var index = Path.Combine(dir, "index.html");
        Assert.Contains($"\nreport: {index}\n", output, StringComparison.Ordinal);
        Assert.True(File.Exists(index));
        var again = new StringWriter();
        DefaultJob.Run(again, new StringWriter(), dir);
        Assert.Equal(output, again.ToString());
    }

    /// <summary>
    /// lat_proc's fork of a 144-page process (every page present and writable): fork write-protects each of the
    /// parent's 144 PTEs with a locked bit-clear on its pinned table (144 ptwr traps, under every policy). With
    /// xen_exit_mmap the child's teardown is plain stores after the unpin; without it every present PTE clear traps
    /// once more (144), and the early-pin policy also copies each PTE into a pinned table as a validated update.
    /// </summary>
    [Fact]
    public void CompareCountsTheTrapsThatXenExitMmapSaves()
    {
        var (exit, output, err) = Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--strategies", "Linux61,NoExitUnpin,EarlyPinLateUnpin", "--json");
        Assert.True(exit == ExitCodes.Ok, err);
        using var doc = JsonDocument.Parse(output);
        var s = doc.RootElement.GetProperty("strategies");
        long Count(int i, string e) => s[i].GetProperty("cost_counts").GetProperty(e).GetInt64();
        const int pages = 12 + 12 + 80 + 8 + 24 + 8;

        // Fork write-protects the parent's writable PTEs (data 12, libc data 8, stack 8; its text is read-only), each
        // a trap on the pinned parent; a teardown on a still-pinned mm traps once per present PTE.
        const int writable = 12 + 8 + 8;
        Assert.Equal(writable, Count(0, "ptwr_trap"));
        Assert.Equal(writable + pages, Count(1, "ptwr_trap"));
        Assert.Equal(writable + pages, Count(2, "ptwr_trap"));
        Assert.Equal(1, Count(0, "fork"));
        Assert.Equal(1, Count(0, "exit"));

        // The unpin devalidates the child's 144 PTEs and its upper entries; the pinned teardown devalidates none of them one by one.
        Assert.True(Count(0, "entry_devalidated") >= pages);
        Assert.True(Count(1, "entry_devalidated") < pages);

        // The early-pin child's copies are validated updates: one mmu_update request per PTE on top of the parent's.
        Assert.True(Count(2, "mmu_update_request") >= Count(0, "mmu_update_request") + 15);
        Assert.True(s[1].GetProperty("total_micros").GetDouble() > s[0].GetProperty("total_micros").GetDouble());
        Assert.Equal(output, Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--strategies", "Linux61,NoExitUnpin,EarlyPinLateUnpin", "--json").Out);
    }

    [Fact]
    public void ACheaperTrapTableChangesTheTimeButNotTheCounts()
    {
        var cheap = Temp("toml", "name = \"cheap-traps\"\n[prices_ns]\nptwr_trap = 10\n");
        var a = JsonDocument.Parse(Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--strategies", "NoExitUnpin", "--json").Out).RootElement.GetProperty("strategies")[0];
        var b = JsonDocument.Parse(Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--strategies", "NoExitUnpin", "--json", "--cost", cheap).Out).RootElement.GetProperty("strategies")[0];
        Assert.Equal(a.GetProperty("cost_counts").ToString(), b.GetProperty("cost_counts").ToString());
        var traps = a.GetProperty("cost_counts").GetProperty("ptwr_trap").GetInt64();
        Assert.Equal(traps * 10 / 1000.0, b.GetProperty("cost_micros").GetProperty("ptwr_trap").GetDouble(), 3);
        Assert.True(b.GetProperty("total_micros").GetDouble() < a.GetProperty("total_micros").GetDouble());
    }

    [Fact]
    public void TheSweepGrowsLinearlyInTrapsWithoutXenExitMmap()
    {
        var (exit, output, err) = Run("sweep", "--pages", "1k..4k", "--strategies", "Linux61,NoExitUnpin", "--vcpus", "1", "--json");
        Assert.True(exit == ExitCodes.Ok, err);
        using var doc = JsonDocument.Parse(output);
        var points = doc.RootElement.GetProperty("strategies")[1].GetProperty("points");
        Assert.Equal(3, points.GetArrayLength());
        var sizes = new[] { 1024, 2048, 4096 };
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(sizes[i], points[i].GetProperty("pages").GetInt32());

            // The teardown of N present PTEs on pinned tables traps once per PTE.
            Assert.Equal(sizes[i], points[i].GetProperty("events").GetProperty("ptwr_emulations").GetInt64());
        }

        var with = doc.RootElement.GetProperty("strategies")[0].GetProperty("points");
        Assert.Equal(0, with[2].GetProperty("events").GetProperty("ptwr_emulations").GetInt64());
    }

    /// <summary>The Perfetto trace: parsed with a JSON parser and checked against the trace-event format's rules.</summary>
    [Theory]
    [InlineData("lazy-exit", 2)]
    [InlineData("kbuild", 3)]
    [InlineData("threads", 3)]
    public void TheTraceIsWellFormedNestedAndAddsUpToTheModeledTime(string workload, int vcpus)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pvmmu-test-{Guid.NewGuid():N}.json");
        var (exit, output, err) = Run("run", "--workload", workload, "--vcpus", vcpus.ToString(CultureInfo.InvariantCulture), "--pages", "64", "--trace", path, "--json");
        Assert.True(exit == ExitCodes.Ok, err);
        var modeled = JsonDocument.Parse(output).RootElement.GetProperty("totals").GetProperty("modeled_us").GetDouble();
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var events = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var tracks = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name")
            .Select(e => e.GetProperty("tid").GetInt32()).ToHashSet();
        Assert.Equal(vcpus, tracks.Count);
        var slices = events.Where(e => e.GetProperty("ph").GetString() == "X").ToList();
        Assert.NotEmpty(slices);
        long Ns(JsonElement e, string p) => (long)Math.Round(e.GetProperty(p).GetDouble() * 1000);
        double moves = 0;
        foreach (var group in slices.GroupBy(e => e.GetProperty("tid").GetInt32()))
        {
            Assert.Contains(group.Key, tracks);
            var open = new Stack<(long Start, long End)>();
            long last = long.MinValue;
            foreach (var e in group)
            {
                Assert.Equal(1, e.GetProperty("pid").GetInt32());
                Assert.False(string.IsNullOrEmpty(e.GetProperty("name").GetString()));
                var start = Ns(e, "ts");
                var end = start + Ns(e, "dur");
                Assert.True(Ns(e, "dur") >= 0);
                Assert.True(start >= last, $"track {group.Key}: ts goes back from {last} to {start}");
                last = start;
                // A slice that ends where the next starts is closed, unless both are instants at the same point.
                while (open.Count > 0 && open.Peek().End <= start && !(end == start && open.Peek().Start == start && open.Peek().End == start))
                {
                    open.Pop();
                }

                if (open.Count > 0)
                {
                    Assert.True(end <= open.Peek().End, $"track {group.Key}: [{start}, {end}) overlaps its enclosing slice [{open.Peek().Start}, {open.Peek().End})");
                }

                open.Push((start, end));
                if (e.GetProperty("args").TryGetProperty("move", out _) && e.GetProperty("cat").GetString() is "setup" or "switch" or "fork" or "exec" or "exit"
                    && !e.GetProperty("name").GetString()!.Contains('×', StringComparison.Ordinal))
                {
                    moves += e.GetProperty("dur").GetDouble();
                }
            }
        }

        // The moves' slices cover every move after setup; the run's total (setup left out) also has the final quiesce.
        Assert.True(moves > 0 && moves <= modeled + 0.01, $"moves {moves} µs, modeled {modeled} µs");
    }

    /// <summary>
    /// The acceptance line of issue 17's native baseline: compare --platform native,xen-pv prints each phase's native
    /// and Xen PV time, their difference and their ratio, consistent with the main table's totals; the JSON names
    /// each run's platform, and the native run spends nothing on Xen's work.
    /// </summary>
    [Fact]
    public void CompareSetsXenAgainstNative()
    {
        var (exit, output, _) = Run("compare", "--platform", "native,xen-pv", "--workload", "lat-proc-fork", "--vcpus", "1");
        Assert.Equal(ExitCodes.Ok, exit);
        var lines = output.Split('\n');
        var header = Array.Find(lines, l => l.StartsWith("modeled µs", StringComparison.Ordinal))!;
        Assert.Equal(["modeled", "µs", "native", "Linux61", "NoExitUnpin"], header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t != "Δ"));
        var versus = Array.FindIndex(lines, l => l.StartsWith("Xen PV vs native", StringComparison.Ordinal));
        Assert.True(versus > 0, output);
        var total = lines.Skip(versus).First(l => l.StartsWith("  total", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // total, native, then per Xen strategy: its µs, the difference, the ratio.
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var native = double.Parse(total[1], inv);
        var xen = double.Parse(total[2], inv);
        Assert.True(xen > native, output);
        // Each figure is printed rounded to 0.1 µs, so the printed difference may be 0.1 from the difference of the printed two.
        Assert.InRange(double.Parse(total[3], inv), xen - native - 0.1001, xen - native + 0.1001);
        // The ratio, printed to 0.01, of figures themselves rounded to 0.1 µs: within 0.005 + 0.05 / native + 0.05 · xen / native².
        var slack = 0.005 + (0.05 / native) + (0.05 * xen / (native * native)) + 1e-9;
        Assert.InRange(double.Parse(total[4].TrimEnd('×'), inv), (xen / native) - slack, (xen / native) + slack);
        var mainTotal = Array.Find(lines, l => l.StartsWith("  total", StringComparison.Ordinal))!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(total[1], mainTotal[1]);
        Assert.Equal(total[2], mainTotal[2]);

        var json = JsonDocument.Parse(Run("compare", "--platform", "native,xen-pv", "--workload", "lat-proc-fork", "--vcpus", "1", "--json").Out).RootElement;
        Assert.Equal("native", json.GetProperty("baseline_platform").GetString());
        var runs = json.GetProperty("strategies");
        Assert.Equal(3, runs.GetArrayLength());
        Assert.Equal(["native", "xen-pv", "xen-pv"], runs.EnumerateArray().Select(r => r.GetProperty("platform").GetString()));
        foreach (var key in new[] { "hypercall_entry", "multicall_entry", "mmu_update_request", "mmuext_op", "ptwr_trap", "injected_fault" })
        {
            Assert.Equal(0, runs[0].GetProperty("cost_counts").GetProperty(key).GetInt64());
        }

        Assert.True(runs[1].GetProperty("cost_counts").GetProperty("ptwr_trap").GetInt64() > 0);
        Assert.Equal(native, runs[0].GetProperty("total_micros").GetDouble(), 1);
    }

    /// <summary>Without --platform, compare runs Xen PV only and prints no Xen-vs-native table; run takes --platform too.</summary>
    [Fact]
    public void ThePlatformDefaultsToXenPvAndRunTakesNative()
    {
        var (exit, output, _) = Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--strategies", "Linux61");
        Assert.Equal(ExitCodes.Ok, exit);
        Assert.DoesNotContain("Xen PV vs native", output, StringComparison.Ordinal);
        Assert.DoesNotContain("native", Array.Find(output.Split('\n'), l => l.StartsWith("modeled µs", StringComparison.Ordinal)), StringComparison.Ordinal);
        var (runExit, runOut, _) = Run("run", "--platform", "native", "--workload", "lat-proc-exec", "--vcpus", "1");
        Assert.Equal(ExitCodes.Ok, runExit);
        Assert.Contains("strategy native", runOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("compare --strategies Linux61,Nope", "unknown strategy 'Nope'")]
    [InlineData("compare --strategies Linux61,Linux61", "'Linux61' is listed twice")]
    [InlineData("compare --platform bare", "unknown platform 'bare'; valid: native, xen-pv")]
    [InlineData("compare --platform native,native", "'native' is listed twice")]
    [InlineData("run --platform xen", "xen")]
    [InlineData("compare --workload nope", "nope")]
    [InlineData("compare --vcpus 0", "--vcpus must be from 1 to 64")]
    [InlineData("compare --cost /nonexistent/costs.toml", "/nonexistent/costs.toml:1:1: cannot read")]
    [InlineData("compare --cost {toml:[prices_ns]\nptwr_trap = }", ":2:")]
    [InlineData("compare --cost {toml:[prices_ns]\nptwr_trapp = 3\n}", ":2:1: unknown price 'ptwr_trapp'")]
    [InlineData("compare --cost {toml:[prices_ns]\nptwr_trap = -1\n}", "finite number of nanoseconds")]
    [InlineData("compare --cost {toml:\n\n[prices]\n}", ":3:1: unknown table 'prices'")]
    [InlineData("sweep --pages 0..4", "'0' is not a page count")]
    [InlineData("sweep --pages 1k..512", "the range's end is below its start")]
    [InlineData("sweep --pages 3x", "'3x' is not a page count")]
    [InlineData("sweep --workload kbuild", "kbuild")]
    [InlineData("run --scenario /nonexistent/w.yaml", "/nonexistent/w.yaml:1:1:")]
    [InlineData("run --scenario {yaml:vcpus: [1\n}", ":")]
    [InlineData("run --scenario {yaml:vcpus: 0\nimages: {}\nprocesses: []\nprograms: {}\n}", ":1:8:")]
    [InlineData("run --pages 0", "--pages: expected a page count from 1 to 4M")]
    [InlineData("bench --rounds 0", "--rounds must be from 1 to 100")]
    [InlineData("run --strategy Nope", "Nope")]
    [InlineData("sweep --strategies ,", "unknown strategy ''")]
    public void BadInputIsOneLineAndExitOne(string commandLine, string what)
    {
        var args = new List<string>();
        foreach (var token in Tokens(commandLine))
        {
            args.Add(token.StartsWith("{toml:", StringComparison.Ordinal) ? Temp("toml", token[6..^1])
                : token.StartsWith("{yaml:", StringComparison.Ordinal) ? Temp("yaml", token[6..^1])
                : token);
        }

        var (exit, output, err) = Run([.. args]);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(string.Empty, output);
        var lines = err.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1, "more than one line: " + err);
        Assert.Contains(what, err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    /// <summary>Splits on spaces outside {braces}, so a file's text can hold spaces and newlines.</summary>
    private static IEnumerable<string> Tokens(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || (s[i] == ' ' && depth == 0))
            {
                if (i > start)
                {
                    yield return s[start..i];
                }

                start = i + 1;
            }
            else if (s[i] == '{' && (i + 5 < s.Length) && (s.AsSpan(i).StartsWith("{toml:") || s.AsSpan(i).StartsWith("{yaml:")))
            {
                depth++;
            }
            else if (s[i] == '}' && depth > 0 && i == s.Length - 1)
            {
                depth--;
            }
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void AReportDirectoryThatIsAFileIsOneLineAndExitOne()
    {
        var file = Temp("txt", "not a directory");
        var (exit, _, err) = Run("compare", "--workload", "lat-proc-fork", "--vcpus", "1", "--report", file);
        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
        Assert.Contains("cannot write the report", err, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingPlotLibraryIsOneLineNamingWhatIsMissingAndOtherFailuresAreNotSwallowed()
    {
        // As SkiaSharp fails when its native part is not beside pvmmu.dll: wrapped in two type initializers.
        var missing = new DllNotFoundException("Unable to load shared library 'libSkiaSharp' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace.\n/usr/share/dotnet/liblibSkiaSharp: cannot open shared object file");
        var wrapped = new TypeInitializationException("ScottPlot.Fonts", new TypeInitializationException("SkiaSharp.SKTypeface", missing));
        var line = CostOptions.ReportFailure(wrapped, "pvmmu-report", "");
        Assert.Equal(
            "pvmmu: cannot draw the report's plots, so no report was written to pvmmu-report: Unable to load shared library 'libSkiaSharp' or one of its dependencies (the runtimes/ folder of the build must sit beside pvmmu.dll)",
            line);
        Assert.StartsWith("pvmmu compare: cannot write the report to d: ", CostOptions.ReportFailure(new IOException("no"), "d", "compare"), StringComparison.Ordinal);
        Assert.Null(CostOptions.ReportFailure(new InvalidOperationException("a bug"), "d", "compare"));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void BenchReportsItsThreeFiguresAsJson()
    {
        var (exit, output, _) = Run("bench", "--rounds", "1", "--json", "--no-explorer");
        Assert.Equal(ExitCodes.Ok, exit);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("pt_entry_ops_per_sec").GetDouble() > 0);
        Assert.True(doc.RootElement.GetProperty("sim_to_wall_ratio").GetDouble() > 0);
        Assert.Equal(22, doc.RootElement.GetProperty("bytes_per_frame").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("explorer", out _));
        // The MMU events are a part of the modeled whole: their ratio is positive and below the whole's, and it is
        // the reported MMU µs over the reported wall µs.
        var mmu = doc.RootElement.GetProperty("sim_to_wall_mmu_only").GetDouble();
        var mmuMicros = doc.RootElement.GetProperty("mix_mmu_modeled_us").GetDouble();
        Assert.True(mmu > 0 && mmu < doc.RootElement.GetProperty("sim_to_wall_ratio").GetDouble());
        Assert.True(mmuMicros < doc.RootElement.GetProperty("mix_modeled_us").GetDouble());
        // The ratio is printed to 2 decimals and its two µs to 1, so they agree to within half a unit of the
        // ratio's last digit (plus the µs' rounding, far smaller); rounding both to 1 decimal, as before, failed
        // whenever the two straddled a rounding boundary (1.054 against 1.05).
        var wallMicros = doc.RootElement.GetProperty("mix_wall_us").GetDouble();
        var derived = mmuMicros / wallMicros;
        var slack = 0.005 + (0.05 / wallMicros) + (0.05 * mmuMicros / (wallMicros * wallMicros));
        Assert.InRange(mmu, derived - slack, derived + slack);

        // One meaning of "total": bench's mix (kbuild, 2 vCPUs, Linux61, seed 1) is what run and compare total for it.
        var run = JsonDocument.Parse(Run("run", "--workload", "kbuild", "--vcpus", "2", "--strategy", "Linux61", "--json").Out).RootElement;
        var compare = JsonDocument.Parse(Run("compare", "--workload", "kbuild", "--vcpus", "2", "--strategies", "Linux61", "--json").Out).RootElement;
        var total = run.GetProperty("totals").GetProperty("modeled_us").GetDouble();
        Assert.Equal(total, compare.GetProperty("strategies")[0].GetProperty("total_micros").GetDouble(), 1);
        Assert.Equal(total, doc.RootElement.GetProperty("mix_modeled_us").GetDouble(), 0);
        Assert.Equal("setup", run.GetProperty("totals_leave_out").GetString());
        var phases = run.GetProperty("phases").EnumerateObject().ToList();
        Assert.Equal("setup", phases[0].Name);
        Assert.Equal(phases.Skip(1).Sum(p => p.Value.GetProperty("modeled_us").GetDouble()), total, 1);
    }

    /// <summary>
    /// The explorer figure, on a scenario small enough for a test: the distinct states are those a complete check of
    /// the same scenario counts, and the rate and bytes per state are those states over the time and the table.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void BenchsExplorerFigureCountsWhatCheckCounts()
    {
        var (exit, output, _) = Run("bench", "--rounds", "1", "--json", "--explorer-scenario", "lazy-borrowers", "--explorer-vcpus", "3");
        Assert.Equal(ExitCodes.Ok, exit);
        using var doc = JsonDocument.Parse(output);
        var ex = doc.RootElement.GetProperty("explorer");
        var check = Run("check", "--scenario", "lazy-borrowers", "--vcpus", "3", "--search", "exhaustive", "--json");
        using var checkDoc = JsonDocument.Parse(check.Out);
        var distinct = checkDoc.RootElement.GetProperty("distinct_states").GetInt64();
        Assert.Equal(distinct, ex.GetProperty("distinct_states").GetInt64());
        Assert.True(ex.GetProperty("complete").GetBoolean());
        Assert.Equal("lazy-borrowers", ex.GetProperty("scenario").GetString());
        Assert.Equal(3, ex.GetProperty("vcpus").GetInt32());
        var perSec = ex.GetProperty("distinct_states_per_sec").GetDouble();
        var seconds = ex.GetProperty("seconds").GetDouble();
        Assert.InRange(perSec * seconds, distinct * 0.9, distinct * 1.1);

        // At least one 16-byte slot per state, and the table at most a quarter full past its first growth.
        Assert.InRange(ex.GetProperty("bytes_per_state").GetDouble(), 16, 64 * 16);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void CalibrateJsonHasTheFreePricesTheResidualsTheLeaveOneOutAndTheHeldOutChecks()
    {
        var (exit, output, err) = Run("calibrate", "--json");
        Assert.True(exit == ExitCodes.Ok, err);
        var root = JsonDocument.Parse(output).RootElement;
        var targets = root.GetProperty("targets").GetInt32();
        var free = root.GetProperty("free_prices").EnumerateArray().ToList();
        Assert.True(free.Count >= 1 && free.Count <= targets - 1);
        foreach (var f in free)
        {
            var ns = f.GetProperty("ns").GetDouble();
            Assert.True(f.GetProperty("low_ns").GetDouble() < ns && ns < f.GetProperty("high_ns").GetDouble(), f.ToString());
        }

        Assert.Equal(targets, root.GetProperty("residuals_pp").EnumerateObject().Count());
        Assert.Equal(targets, root.GetProperty("loo_residuals_pp").EnumerateObject().Count());
        var held = root.GetProperty("held_out").EnumerateArray().ToList();
        Assert.NotEmpty(held);
        foreach (var h in held)
        {
            Assert.Equal(h.GetProperty("model").GetDouble() - h.GetProperty("published").GetDouble(), h.GetProperty("difference").GetDouble(), 1);
            Assert.True(h.GetProperty("pass").ValueKind is JsonValueKind.True or JsonValueKind.False);
        }

        // The text form prints each check with its verdict.
        var text = Run("calibrate").Out;
        foreach (var h in held)
        {
            var line = text.Split('\n').Single(l => l.Length > 36 && l[..36].TrimEnd() == h.GetProperty("name").GetString());
            Assert.EndsWith(h.GetProperty("pass").GetBoolean() ? "pass" : "FAIL", line, StringComparison.Ordinal);
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void CalibrateSospPrintsEachLatProcOverheadBesideSospsAndIsRefusedWithJson()
    {
        var (exit, output, err) = Run("calibrate", "--sosp");
        Assert.True(exit == ExitCodes.Ok, err);
        var all = output.Split('\n');
        var lines = all.SkipWhile(l => !l.StartsWith("SOSP 2003 Table 3: the Xen overhead", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        var table = CostTable.Default;
        foreach (var w in SospTable3.Workloads)
        {
            // The workload's row: the model's overhead (the held-out check's own figure) and SOSP's, scaled by clock.
            var row = lines.First(l => l.StartsWith(w + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(HeldOutChecks.Overhead(table, w), double.Parse(row[1], CultureInfo.InvariantCulture), 1);
            Assert.Equal(SospTable3.PublishedOverhead(w), double.Parse(row[2], CultureInfo.InvariantCulture), 1);
        }

        Assert.Contains(lines, l => l.StartsWith("the same counts repriced as XenoLinux 2.4.21", StringComparison.Ordinal));
        Assert.DoesNotContain("SOSP 2003 Table 3: the Xen overhead", Run("calibrate").Out, StringComparison.Ordinal);

        var refused = Run("calibrate", "--sosp", "--json");
        Assert.Equal(ExitCodes.BadInput, refused.Exit);
        Assert.Empty(refused.Out);
        Assert.Single(refused.Err.TrimEnd('\n').Split('\n'));
    }
}
