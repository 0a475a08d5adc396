using System.CommandLine;
using System.Globalization;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Counterexamples;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Sampling;
using PvMmu.Explore.Search;
using PvMmu.Linux.Exit;
using PvMmu.Scheduling;
using PvMmu.Sim.Inputs;
using PvMmu.Sim.Outputs;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu check</c> and <c>pvmmu replay</c>: every schedule of a scenario, and one schedule again.</summary>
public static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Option<string>("--scenario") { Description = "lazy-exit, exit-vs-switch, threads-exit, gfp-atomic-fallback, xsa-401, xsa-286 (the hypervisor alone), or a scenario file FILE.yaml (docs/scenario-format.md).", DefaultValueFactory = _ => "lazy-exit" };
        scenario.CustomParser = r =>
        {
            var given = r.Tokens.Count == 0 ? string.Empty : r.Tokens[0].Value;
            if (CheckScenarioFile.Canonical(given) is { } name)
            {
                return name;
            }

            if (given.Trim().Length == 0)
            {
                // Said once, by Program.RefuseEmpty.
                return given;
            }

            r.AddError(CheckScenarioFile.Check(given)!);
            return null;
        };
        var xen = new Option<string>("--xen") { Description = "For xsa-401: current (the flush after the type cmpxchg) or pre-xsa-401 (before it). For xsa-286: current, relaxed-flush (Xen edcfce5591, 2021) or 4.8.", DefaultValueFactory = _ => "current" };
        OptionValue.OneOf(xen, [.. Xsa401Race.Orderings.Union(Xsa286Race.Variants)]);
        var strategy = new Option<string>("--strategy") { Description = "The exit path: " + ExitStrategies.Names + ".", DefaultValueFactory = _ => "Linux61" };
        OptionValue.OneOf(strategy, [.. ExitStrategies.All.Select(s => s.Name)]);
        var vcpus = new Option<int>("--vcpus") { Description = $"vCPUs, {Scenarios.MinVcpus} to {Scenarios.MaxVcpus}.", DefaultValueFactory = _ => Scenarios.MinVcpus };
        OptionValue.Require(vcpus, v => v is >= Scenarios.MinVcpus and <= Scenarios.MaxVcpus, $"--vcpus must be from {Scenarios.MinVcpus} to {Scenarios.MaxVcpus}");
        var bound = new Option<int>("--bound") { Description = "The deepest schedule explored, in moves.", DefaultValueFactory = _ => ExhaustiveExplorer.DefaultMaxDepth };
        var seed = OptionValue.Seed("The random walk's seed; printed first (the exhaustive search does not draw on it).");
        var search = new Option<string>("--search") { Description = "portfolio (the three below at once), exhaustive (every schedule to --bound), random (--schedules seeded random walks) or pct (--schedules seeded PCT runs of depth --pct-depth).", DefaultValueFactory = _ => "portfolio" };
        OptionValue.OneOf(search, "portfolio", "exhaustive", "random", "pct");
        var pctDepth = new Option<int>("--pct-depth") { Description = "PCT's bug depth d: d - 1 priority change points per schedule.", DefaultValueFactory = _ => 3 };
        OptionValue.Require(pctDepth, v => v is >= 1 and <= 16, "--pct-depth must be from 1 to 16");
        var time = new Option<string?>("--time") { Description = "Stop after this long (e.g. 60s, 2m, 500ms); what was covered is reported." };
        time.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && Duration(t) == null)
            {
                r.AddError($"--time: expected a duration such as 60s, 2m or 500ms, got '{t}'");
            }
        });
        var schedules = new Option<long>("--schedules") { Description = "How many schedules the random walk draws.", DefaultValueFactory = _ => 10_000 };
        OptionValue.Require(schedules, v => v >= 1, "--schedules must be at least 1");
        OptionValue.Require(bound, v => v >= 1, "--bound must be at least 1");
        var preemptions = new Option<int?>("--preemptions") { Description = "Exhaustive search: at most K preemptions per schedule (switches away from a vCPU that could still move); sleep sets are then off." };
        OptionValue.Require(preemptions, v => v is null or (>= 0 and <= 1000), "--preemptions must be from 0 to 1000");
        var por = new Option<string?>("--por") { Description = "Exhaustive search: partial-order reduction by sleep sets, on (the default) or off." };
        OptionValue.OneOf(por, "on", "off");
        var threads = new Option<int>("--threads") { Description = "Exhaustive search: threads over subtrees of the schedules (default: every core).", DefaultValueFactory = _ => Environment.ProcessorCount };
        OptionValue.Require(threads, v => v is >= 1 and <= 256, "--threads must be from 1 to 256");
        var maxStates = new Option<long>("--max-states") { Description = "Exhaustive search: stop after visiting this many states (a cap on time and memory: 16 bytes of visited set a distinct state, kept at most half full).", DefaultValueFactory = _ => 2_000_000 };
        OptionValue.Require(maxStates, v => v is >= 1 and <= 1L << 32, "--max-states must be from 1 to 4294967296");
        var reach = new Option<string?>("--reach") { Description = "Search (exhaustively) for a schedule that takes the named branch and write it as a replay file: exit 0 if reached, 2 if no schedule does, 3 if a cap stopped the search. Names: see the coverage lines." };
        reach.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } b && PvMmu.Linux.Accounting.Branches.Find(b) == null)
            {
                r.AddError($"--reach: expected one of {PvMmu.Linux.Accounting.Branches.Names}; got '{(b.Length > 60 ? b[..60] + "..." : b)}'");
            }
        });
        var symmetry = new Option<string>("--symmetry") { Description = "Symmetry reduction over interchangeable vCPUs: off (the default; on is refused: renaming vCPUs is no symmetry of this model, see docs/model.md).", DefaultValueFactory = _ => "off" };
        OptionValue.OneOf(symmetry, "on", "off");
        var json = new Option<bool>("--json") { Description = "Print the verdict and the coverage as one JSON object (no timeline)." };
        var strategyFile = StrategyFileOption.One();
        var output = new Option<string>("--out") { Description = "Where a counterexample's replay file goes.", DefaultValueFactory = _ => "pvmmu-counterexample.json" };
        var check = new Command("check", "Explore every schedule of a scenario; exit 0 if every schedule to the bound is clean, 2 with a counterexample, 3 if the search was incomplete (a cap cut it, or it sampled) and found nothing.")
        {
            scenario, strategy, strategyFile, xen, vcpus, search, bound, preemptions, por, threads, maxStates, schedules, pctDepth, time, seed, output, json, reach, symmetry,
        };
        check.SetAction(pr =>
        {
            var inv = CultureInfo.InvariantCulture;
            var sc = pr.GetValue(scenario)!;
            var name = Scenarios.IsHypervisorOnly(sc) ? pr.GetValue(xen)! : pr.GetValue(strategy)!;
            var n = pr.GetValue(vcpus);
            if (pr.GetValue(symmetry) == "on")
            {
                stderr.WriteLine("pvmmu check: --symmetry on: not sound here: the modeled kernel walks cpumasks in cpu-id order (xen_drop_mm_ref's per-CPU reads, smp_call_function_many's sends), so two states that differ by a renaming of vCPUs have futures that differ by more than it (docs/model.md, \"Symmetry\")");
                return ExitCodes.BadInput;
            }

            if (!Scenarios.IsHypervisorOnly(sc) && pr.GetResult(xen) is { Implicit: false })
            {
                stderr.WriteLine("pvmmu check: --xen goes with the hypervisor-only scenarios (xsa-401, xsa-286); a guest scenario takes --strategy");
                return ExitCodes.BadInput;
            }

            var searchHow = pr.GetValue(search)!;
            var refused = (Scenarios.IsHypervisorOnly(sc) ? OptionValue.NotApplicable(pr, "check", $"on the hypervisor-only scenario {sc}; it takes --xen", strategy, strategyFile) : null)
                ?? (searchHow is "random" or "pct" && pr.GetValue(reach) is null ? OptionValue.NotApplicable(pr, "check", $"on --search {searchHow}: it goes with the exhaustive search (exhaustive or portfolio)", por, preemptions, threads, maxStates) : null)
                ?? (searchHow == "portfolio" ? OptionValue.NotApplicable(pr, "check", "on --search portfolio: its exhaustive search runs on one thread", threads) : null)
                ?? (searchHow == "exhaustive" || pr.GetValue(reach) is not null ? OptionValue.NotApplicable(pr, "check", "on an exhaustive search (it draws no random schedules)", schedules, pctDepth, seed) : null)
                ?? (searchHow == "random" ? OptionValue.NotApplicable(pr, "check", "on --search random (it goes with pct and portfolio)", pctDepth) : null);
            if (refused is not null)
            {
                stderr.WriteLine(refused);
                return ExitCodes.BadInput;
            }

            // A strategy file replaces --strategy; its path goes into the replay file beside the scenario's.
            IExitStrategy? mine = null;
            if (pr.GetValue(strategyFile) is not null)
            {
                if (Scenarios.IsHypervisorOnly(sc))
                {
                    stderr.WriteLine($"pvmmu check: --strategy-file goes with the guest scenarios; {sc} runs on the hypervisor alone");
                    return ExitCodes.BadInput;
                }

                if ((mine = StrategyFileOption.Choose(pr, strategyFile, strategy, stderr, "check")) is null)
                {
                    return ExitCodes.BadInput;
                }

                name = mine.Name;
            }

            Func<IExplorable> build;
            Func<IExitStrategy, PvMmu.Linux.Sched.Machine>? fromFile = null;
            try
            {
                if (CheckScenarioFile.IsFile(sc))
                {
                    sc = Path.GetFullPath(sc);
                    (var fileVcpus, fromFile) = CheckScenarioFile.Load(sc);
                    if (pr.GetResult(vcpus) is { Implicit: false } && n != fileVcpus)
                    {
                        stderr.WriteLine($"pvmmu check: {sc} has {fileVcpus} vCPUs; --vcpus {n} disagrees");
                        return ExitCodes.BadInput;
                    }

                    n = fileVcpus;
                    var s = mine ?? ExitStrategies.Find(name)!;
                    var machines = fromFile;
                    build = () => new MachineModel(machines(s));
                }
                else
                {
                    build = mine is null ? Scenarios.Explorable(sc, name, n) : Scenarios.Explorable(sc, mine, n);
                }
            }
            catch (ArgumentException e)
            {
                stderr.WriteLine($"pvmmu check: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (PvMmu.Sim.Workloads.ScenarioException e)
            {
                stderr.WriteLine($"pvmmu check: {e.Message}");
                return ExitCodes.BadInput;
            }

            var bounded = pr.GetValue(preemptions);
            if (bounded != null && pr.GetValue(por) == "on")
            {
                stderr.WriteLine("pvmmu check: --por on cannot go with --preemptions: a commuted order can need more preemptions, so sleep sets are off under a preemption bound");
                return ExitCodes.BadInput;
            }

            var reduce = pr.GetValue(por) != "off" && bounded == null;
            var target = pr.GetValue(reach) is { } rn ? PvMmu.Linux.Accounting.Branches.Find(rn) : null;
            if (target != null && (Scenarios.IsHypervisorOnly(sc) || pr.GetResult(search) is { Implicit: false } && pr.GetValue(search) != "exhaustive"))
            {
                stderr.WriteLine($"pvmmu check: --reach needs an exhaustive search of a guest scenario{(Scenarios.IsHypervisorOnly(sc) ? $"; {sc} runs on the hypervisor alone" : $"; got --search {pr.GetValue(search)}")}");
                return ExitCodes.BadInput;
            }

            var asJson = pr.GetValue(json);
            var text = asJson ? TextWriter.Null : stdout;
            text.WriteLine($"seed {pr.GetValue(seed).ToString(inv)}");
            var how = target != null ? "exhaustive" : pr.GetValue(search)!;
            var limit = pr.GetValue(time) is { } tt ? Duration(tt) : null;
            void Report(long states, long distinct, int deepest, TimeSpan elapsed) =>
                stderr.WriteLine($"progress: {states.ToString(inv)} states, {distinct.ToString(inv)} distinct, {(states / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("F0", inv)} states/s, deepest {deepest.ToString(inv)}, {elapsed.TotalSeconds.ToString("F0", inv)} s");
            string What() => Scenarios.IsHypervisorOnly(sc) ? "xen " + name : "strategy " + name;
            var (sched, depthD, boundK) = (pr.GetValue(schedules), pr.GetValue(pctDepth), pr.GetValue(bound));
            var pctName = $"PCT (depth {depthD.ToString(inv)})";
            var nThreads = how == "exhaustive" ? pr.GetValue(threads) : 1;
            var exhaustiveHow = $"exhaustive to {boundK.ToString(inv)} moves"
                + (bounded is { } pk ? $" and {pk.ToString(inv)} preemptions" : string.Empty)
                + (reduce ? ", sleep sets" : ", no partial-order reduction")
                + (how == "exhaustive" ? $", {nThreads.ToString(inv)} thread{(nThreads == 1 ? string.Empty : "s")}" : string.Empty);
            text.WriteLine(how switch
            {
                "exhaustive" => $"check: scenario {sc}, {What()}, {n} vCPUs, {exhaustiveHow}",
                "portfolio" => $"check: scenario {sc}, {What()}, {n} vCPUs, portfolio: {exhaustiveHow}, {sched.ToString(inv)} {pctName} and {sched.ToString(inv)} random schedules",
                _ => $"check: scenario {sc}, {What()}, {n} vCPUs, {sched.ToString(inv)} {(how == "pct" ? pctName : "random")} schedules of at most {boundK.ToString(inv)} moves",
            });
            var seedK = pr.GetValue(seed);
            var cap = pr.GetValue(maxStates);
            if ((how is "exhaustive" or "portfolio") && PvMmu.Explore.Exhaustive.ExhaustiveExplorer.MemoryProblem(cap) is { } tooBig)
            {
                stderr.WriteLine($"pvmmu check: {tooBig}");
                return ExitCodes.BadInput;
            }

            var watch = System.Diagnostics.Stopwatch.StartNew();
            ExplorationResult r;
            var from = how;
            string? others = null;
            if (how == "portfolio")
            {
                var p = new PortfolioExplorer(build, seedK, sched, boundK, n, depthD, ScheduleLength(build), limit, cap) { Progress = Report, PartialOrder = reduce, Preemptions = bounded, Cancel = Signals.Token }.Run();
                (r, from) = (p.Result, p.From);
                if (from == "exhaustive" && p.Result.Violation == null && (!p.Result.Exhausted || p.Result.PreemptionBoundCut))
                {
                    // No search answered, so none was stopped: the sampled coverage is the same on every run.
                    others = $"; {p.Pct.Schedules.ToString(inv)} PCT and {p.Random.Schedules.ToString(inv)} random schedules sampled, no violation";
                }

                text.WriteLine($"portfolio: the answer comes from {from}");
            }
            else
            {
                r = how == "exhaustive"
                    ? new ExhaustiveExplorer(build, boundK, cap)
                    {
                        TimeLimit = limit,
                        Progress = Report,
                        PartialOrder = reduce,
                        Preemptions = bounded,
                        Threads = nThreads,
                        Cancel = Signals.Token,
                        ReachMask = target is { } tb ? 1UL << (int)tb : 0,
                        ReachedMessage = target is { } tn ? Replayer.ReachedPrefix + PvMmu.Linux.Accounting.Branches.Name(tn) : "reached",
                    }.Run()
                    : new RandomWalkExplorer(build, seedK, sched, boundK, how == "pct" ? RandomWalkExplorer.Pct(seedK, n, depthD, ScheduleLength(build)) : null, limit) { Progress = Report, Cancel = Signals.Token }.Run();
            }

            var random = from != "exhaustive";
            var covered = random
                ? $"{r.States.ToString(inv)} states, {r.DistinctStates.ToString(inv)} distinct, deepest {r.MaxDepth.ToString(inv)} moves"
                : Covered(r);
            if (how == "exhaustive")
            {
                // What depends on the machine or the threads' timing goes with the progress lines, not into the report.
                var seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                var split = r.Threads > 1 ? $" ({r.Subtrees.ToString(inv)} subtrees handed to idle threads)" : string.Empty;
                stderr.WriteLine($"stats: {r.States.ToString(inv)} moves taken, {r.Slept.ToString(inv)} spared by sleep sets, deepest {r.MaxDepth.ToString(inv)}, {r.Threads.ToString(inv)} thread(s){split}, {seconds.ToString("F3", inv)} s, {(r.DistinctStates / seconds).ToString("F0", inv)} distinct states/s");
            }

            string Json(IReadOnlyList<Move>? shrunk, string? v, string? file) =>
                CheckJson.Write(sc, name, n, how, from, pr.GetValue(seed), pr.GetValue(bound), r, shrunk, v, file);
            if (Signals.Received is { } signal && r.Violation == null)
            {
                // Stopped by the user: what was covered is said, and it is no proof.
                text.WriteLine($"search incomplete: stopped by {(signal == ExitCodes.Terminated ? "SIGTERM" : "Ctrl-C")}; no violation in the states visited ({covered}); the rest of the schedules were not explored; this is not a proof");
                return signal;
            }

            if (target is { } goal)
            {
                return Reached(goal, r, covered);
            }

            if (r.Violation == null)
            {
                if (asJson)
                {
                    stdout.Write(Json(null, null, null));
                }

                text.WriteLine(CheckVerdict.Text(r, from, how, boundK, covered, others));
                CheckCoverage.WriteText(text, r);
                return CheckVerdict.ExitCode(r, from);
            }

            // The replay file at --out, naming a scenario file relative to itself; its full path, or null (said on
            // stderr) when it cannot be written.
            string? WriteReplay(ReplayFile f)
            {
                var at = Path.GetFullPath(pr.GetValue(output)!);
                try
                {
                    var strategyAt = mine is FileStrategy fs ? Path.GetRelativePath(Path.GetDirectoryName(at)!, Path.GetFullPath(fs.File)) : null;
                    AtomicFile.WriteAllText(at, (f with { Scenario = CheckScenarioFile.ForReplayFile(sc, at), StrategyFile = strategyAt }).ToJson());
                    return at;
                }
                catch (IOException e)
                {
                    stderr.WriteLine($"pvmmu check: --out: {e.Message}");
                    return null;
                }
            }

            // --reach: the branch taken is the search's "finding"; the schedule that takes it is the replay file.
            int Reached(PvMmu.Linux.Accounting.Branch goal, ExplorationResult r, string covered)
            {
                var branch = PvMmu.Linux.Accounting.Branches.Name(goal);
                if (r.Violation == null || !r.Violation.StartsWith(Replayer.ReachedPrefix, StringComparison.Ordinal))
                {
                    if (asJson)
                    {
                        stdout.Write(Json(null, r.Violation, null));
                    }

                    var incomplete = CheckVerdict.IncompleteBecause(r with { Violation = null }, from);
                    text.WriteLine(r.Violation != null
                        ? $"a violation came first, before {branch} was reached: {r.Violation}"
                        : incomplete == null
                        ? $"{branch} is not reachable: every schedule explored ({covered}), none takes it"
                        : $"{branch} not reached; search incomplete ({incomplete}), so it may still be reachable ({covered})");
                    return r.Violation != null || incomplete == null ? ExitCodes.Finding : ExitCodes.Incomplete;
                }

                var reachFile = new ReplayFile(sc, name, n, r.Counterexample, r.Violation);
                if (WriteReplay(reachFile) is not { } reachPath)
                {
                    return ExitCodes.BadInput;
                }

                text.WriteLine($"reached {branch} after {r.Counterexample.Count.ToString(inv)} moves ({covered})");
                text.WriteLine($"replay file: {reachPath}");
                text.Write(Replayer.Run(reachFile, build: fromFile, strategy: mine).Timeline);
                if (asJson)
                {
                    stdout.Write(Json(r.Counterexample, r.Violation, reachPath));
                }

                return ExitCodes.Ok;
            }

            var shrunk = Shrinker.Shrink(build, r.Counterexample);
            var violation = ScheduleCheck.Run(build, shrunk).Violation!;
            text.WriteLine($"violation after {r.Counterexample.Count.ToString(inv)} moves ({covered}), shrunk to {shrunk.Count.ToString(inv)} moves");
            var file = new ReplayFile(sc, name, n, shrunk, violation);
            if (WriteReplay(file) is not { } path)
            {
                return ExitCodes.BadInput;
            }

            // The violation itself is the timeline's last line (with the meaning of each invariant it names).
            text.WriteLine($"replay file: {path}");
            text.Write(Replayer.Run(file, build: fromFile, strategy: mine).Timeline);
            if (asJson)
            {
                stdout.Write(Json(shrunk, violation, path));
            }

            return ExitCodes.Finding;
        });
        return check;
    }

    /// <summary>
    /// What an exhaustive search covered: with one thread every count; with more, only the distinct and end states
    /// (set sizes, the same whatever the timing); the rest goes to stderr.
    /// </summary>
    private static string Covered(ExplorationResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sets = $"{r.DistinctStates.ToString(inv)} distinct, {r.EndStates.ToString(inv)} end {(r.EndStates == 1 ? "state" : "states")}";
        return r.Threads > 1
            ? sets
            : $"{r.States.ToString(inv)} states, {sets}, deepest {r.MaxDepth.ToString(inv)} moves" + (r.SleepSets ? $", {r.Slept.ToString(inv)} moves spared by sleep sets" : string.Empty);
    }

    /// <summary>"60s", "2m", "500ms" or a bare number of seconds; null if it is none of those or not positive.</summary>
    internal static TimeSpan? Duration(string text)
    {
        var t = text.Trim();
        var (digits, unit) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n < 1_000_000_000
            ? TimeSpan.FromSeconds(n * unit)
            : null;
    }

    /// <summary>The length of one schedule (always the first enabled move): PCT's k, where its change points fall.</summary>
    private static int ScheduleLength(Func<IExplorable> build)
    {
        RunLoop.Run(build(), new FirstEnabledScheduler(), null, out var moves, 10_000);
        return (int)Math.Max(moves, 1);
    }

    public static Command CreateReplay(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("file") { Description = "A replay file written by pvmmu check." };
        var perfetto = new Option<string?>("--perfetto") { Description = "Also write the timeline as a trace (Chrome JSON trace events) that ui.perfetto.dev opens." };
        var strategyFile = StrategyFileOption.One();
        strategyFile.Description = "The strategy file the schedule ran under, when the replay file's strategy_file is not where it says.";
        var replay = new Command("replay", "Re-run a counterexample's schedule and print its timeline; exit 2 if the violation reproduces.") { file, perfetto, strategyFile };
        replay.SetAction(pr =>
        {
            var path = pr.GetValue(file)!;
            try
            {
                var parsed = ReplayFile.Parse(InputFile.ReadText(path, lineLimit: false));
                parsed = parsed with { Scenario = CheckScenarioFile.FromReplayFile(parsed.Scenario, path) };

                // A strategy file: the one given, else the one the replay file names (relative to itself).
                IExitStrategy? mine = null;
                var strategyPath = pr.GetValue(strategyFile) is { } given ? given
                    : parsed.StrategyFile is { } named ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, named)
                    : null;
                if (strategyPath != null)
                {
                    if ((mine = StrategyFileOption.Load([strategyPath], stderr)?[0]) is null)
                    {
                        return ExitCodes.BadInput;
                    }

                    if (mine.Name != parsed.Strategy)
                    {
                        stderr.WriteLine($"{path}: the schedule ran under strategy {parsed.Strategy}; {strategyPath} holds {mine.Name}");
                        return ExitCodes.BadInput;
                    }
                }

                var slices = new List<TraceSlice>();
                var (violated, timeline) = Replayer.Run(parsed, slices, CheckScenarioFile.IsFile(parsed.Scenario) ? CheckScenarioFile.Load(parsed.Scenario).Build : null, mine);
                stdout.Write(timeline);
                if (pr.GetValue(perfetto) is { } tracePath)
                {
                    try
                    {
                        AtomicFile.WriteAllText(tracePath, PerfettoTrace.ToJson($"{parsed.Scenario} {parsed.Strategy}", parsed.Vcpus, slices));
                    }
                    catch (IOException e)
                    {
                        stderr.WriteLine($"pvmmu replay: --perfetto: {e.Message}");
                        return ExitCodes.BadInput;
                    }
                }

                if (Replayer.ReachTarget(parsed) != null)
                {
                    // A --reach file: reaching its branch again is the expected outcome; not reaching it is a file
                    // that no longer fits the model.
                    if (!violated)
                    {
                        stderr.WriteLine($"pvmmu replay: {path}: the schedule no longer reaches {parsed.Violation[Replayer.ReachedPrefix.Length..]}");
                    }

                    return violated ? ExitCodes.Ok : ExitCodes.BadInput;
                }

                return violated ? ExitCodes.Finding : ExitCodes.Ok;
            }
            catch (InputFileException e)
            {
                stderr.WriteLine($"pvmmu replay: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"pvmmu replay: {path}: cannot read: {e.Message}");
                return ExitCodes.BadInput;
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                stderr.WriteLine($"pvmmu replay: {path}: {Program.OneLine(e.Message)}");
                return ExitCodes.BadInput;
            }
            catch (PvMmu.Sim.Workloads.ScenarioException e)
            {
                stderr.WriteLine($"pvmmu replay: {path}: its scenario file: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return replay;
    }
}
