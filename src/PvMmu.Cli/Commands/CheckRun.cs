using System.CommandLine;
using System.Globalization;
using PvMmu.Explore.Checks;
using PvMmu.Explore.Counterexamples;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Explore.Sampling;
using PvMmu.Explore.Search;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;
using PvMmu.Sim.Outputs;
using PvMmu.Sim.Workloads;

namespace PvMmu.Cli.Commands;

/// <summary>
/// One <c>pvmmu check</c>: its options read and checked, the scenario built, the search run, and the answer written
/// (the verdict and coverage, or the shrunk counterexample as a replay file with its timeline, or for
/// <c>--reach</c> the schedule that takes the branch), in that order, each a step of <see cref="Execute"/>.
/// </summary>
internal sealed class CheckRun(ParseResult pr, CheckOptions o, TextWriter stdout, TextWriter stderr)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private string _scenario = pr.GetValue(o.Scenario)!;
    private string _name = string.Empty;
    private int _vcpus = pr.GetValue(o.Vcpus);

    /// <summary>The exit path from a strategy file, or null for a built-in one.</summary>
    private IExitStrategy? _mine;
    private Func<IExplorable> _build = null!;

    /// <summary>The exact model's factory (symmetry off), for the re-check of a finding on the abstraction.</summary>
    private Func<IExplorable> _exact = null!;

    /// <summary>Whether the search explores the abstraction of <c>--symmetry on</c>, and what it merged.</summary>
    private CheckSymmetry _symmetry = CheckSymmetry.Off;
    private Func<IExitStrategy, Machine>? _fromFile;
    private int? _bounded;
    private bool _reduce;
    private Branch? _target;
    private bool _asJson;
    private TextWriter _text = TextWriter.Null;
    private string _how = string.Empty;

    private bool HypervisorOnly => Scenarios.IsHypervisorOnly(_scenario);

    public int Execute()
    {
        _name = HypervisorOnly ? pr.GetValue(o.Xen)! : pr.GetValue(o.Strategy)!;
        if (Refusal() is { } refused)
        {
            stderr.WriteLine(refused);
            return ExitCodes.BadInput;
        }

        if (!ChooseStrategy() || !LoadScenario() || !ChooseSearch())
        {
            return ExitCodes.BadInput;
        }

        WriteHeader();
        var cap = pr.GetValue(o.MaxStates);
        if ((_how is "exhaustive" or "portfolio") && ExhaustiveExplorer.MemoryProblem(cap) is { } tooBig)
        {
            stderr.WriteLine($"pvmmu check: {tooBig}");
            return ExitCodes.BadInput;
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (r, from, others) = Search(cap);
        var covered = from != "exhaustive"
            ? $"{r.States.ToString(Inv)} states, {r.DistinctStates.ToString(Inv)} distinct, deepest {r.MaxDepth.ToString(Inv)} moves"
            : Covered(r);
        if (_how == "exhaustive")
        {
            // What depends on the machine or the threads' timing goes with the progress lines, not into the report.
            var seconds = Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
            var split = r.Threads > 1 ? $" ({r.Subtrees.ToString(Inv)} subtrees handed to idle threads)" : string.Empty;
            stderr.WriteLine($"stats: {r.States.ToString(Inv)} moves taken, {r.Slept.ToString(Inv)} spared by sleep sets, deepest {r.MaxDepth.ToString(Inv)}, {r.Threads.ToString(Inv)} thread(s){split}, {seconds.ToString("F3", Inv)} s, {(r.DistinctStates / seconds).ToString("F0", Inv)} distinct states/s");
        }

        if (Signals.Received is { } signal && r.Violation == null)
        {
            // Stopped by the user: what was covered is said, and it is no proof.
            _text.WriteLine($"search incomplete: stopped by {(signal == ExitCodes.Terminated ? "SIGTERM" : "Ctrl-C")}; no violation in the states visited ({covered}); the rest of the schedules were not explored; this is not a proof");
            return signal;
        }

        if (_target is { } goal)
        {
            return Reached(goal, r, from, covered);
        }

        if (_symmetry.On && r.Violation != null)
        {
            // A finding on the abstraction: the exact model answers whether the kernel's own walk order reaches it.
            _text.WriteLine($"symmetry on: the abstraction has a violation after {r.Counterexample.Count.ToString(Inv)} moves ({covered}); re-checking on the exact model (--symmetry off)");
            _symmetry = _symmetry with { AbstractionViolation = r.Violation };
            var onlyAbstraction = r;
            _build = _exact;
            _reduce = pr.GetValue(o.Por) != "off" && _bounded == null;
            (r, from, _) = Search(cap);
            covered = Covered(r);
            if (r.Violation == null && CheckVerdict.IncompleteBecause(r, from) == null)
            {
                if (_asJson)
                {
                    stdout.Write(Json(r, from, null, null, null));
                }

                _text.WriteLine($"the exact model has no violation: every schedule explored ({covered}); the abstraction's finding needs a cpumask walk order the kernel never uses: {onlyAbstraction.Violation}");
                CheckCoverage.WriteText(_text, r);
                return ExitCodes.Ok;
            }
        }

        if (r.Violation == null)
        {
            if (_asJson)
            {
                stdout.Write(Json(r, from, null, null, null));
            }

            _text.WriteLine(CheckVerdict.Text(r, from, _how, pr.GetValue(o.Bound), covered, others));
            if (_symmetry.On && _symmetry.AbstractionViolation == null)
            {
                _text.WriteLine($"symmetry on: the abstraction explored is a superset of the kernel's schedules (cpumask walks in any order; vCPUs {_symmetry.ClassText} interchangeable), so no violation there is none in the exact model; its coverage is the abstraction's (--reach always searches the exact model)");
            }
            else if (_symmetry.AbstractionViolation is { } unconfirmed)
            {
                _text.WriteLine($"symmetry on: the abstraction's violation is neither confirmed nor ruled out, since the exact model's search is incomplete: {unconfirmed}");
            }

            CheckCoverage.WriteText(_text, r);
            return CheckVerdict.ExitCode(r, from);
        }

        return Counterexample(r, from, covered);
    }

    /// <summary>Options that do not go together, or with this scenario or search: what to say, or null.</summary>
    private string? Refusal()
    {
        if (pr.GetValue(o.Symmetry) == "on" && pr.GetResult(o.Symmetry) is { Implicit: false })
        {
            if (HypervisorOnly)
            {
                return $"pvmmu check: --symmetry on goes with the guest scenarios; {_scenario} runs on the hypervisor alone";
            }

            if (pr.GetValue(o.Reach) is null && pr.GetValue(o.Search) != "exhaustive")
            {
                return $"pvmmu check: --symmetry on goes with --search exhaustive (the {pr.GetValue(o.Search)} search runs the exact model)";
            }

            if (pr.GetValue(o.Por) == "on")
            {
                return "pvmmu check: --por on cannot go with --symmetry on: the visited set holds classes of states, which a sleep set of concrete moves does not fit";
            }
        }

        if (!HypervisorOnly && pr.GetResult(o.Xen) is { Implicit: false })
        {
            return "pvmmu check: --xen goes with the hypervisor-only scenarios (xsa-401, xsa-286, xsa-286-pv64); a guest scenario takes --strategy";
        }

        var searchHow = pr.GetValue(o.Search)!;
        var reach = pr.GetValue(o.Reach);
        return (HypervisorOnly ? OptionValue.NotApplicable(pr, "check", $"on the hypervisor-only scenario {_scenario}; it takes --xen", o.Strategy, o.StrategyFile) : null)
            ?? (searchHow is "random" or "pct" && reach is null ? OptionValue.NotApplicable(pr, "check", $"on --search {searchHow}: it goes with the exhaustive search (exhaustive or portfolio)", o.Por, o.Preemptions, o.Threads, o.MaxStates) : null)
            ?? (searchHow == "portfolio" ? OptionValue.NotApplicable(pr, "check", "on --search portfolio: its exhaustive search runs on one thread", o.Threads) : null)
            ?? (searchHow == "exhaustive" || reach is not null ? OptionValue.NotApplicable(pr, "check", "on an exhaustive search (it draws no random schedules)", o.Schedules, o.PctDepth, o.Seed) : null)
            ?? (searchHow == "random" ? OptionValue.NotApplicable(pr, "check", "on --search random (it goes with pct and portfolio)", o.PctDepth) : null);
    }

    /// <summary>A strategy file replaces --strategy; its path goes into the replay file beside the scenario's. False if refused.</summary>
    private bool ChooseStrategy()
    {
        if (pr.GetValue(o.StrategyFile) is null)
        {
            return true;
        }

        if (HypervisorOnly)
        {
            stderr.WriteLine($"pvmmu check: --strategy-file goes with the guest scenarios; {_scenario} runs on the hypervisor alone");
            return false;
        }

        if ((_mine = StrategyFileOption.Choose(pr, o.StrategyFile, o.Strategy, stderr, "check")) is null)
        {
            return false;
        }

        _name = _mine.Name;
        return true;
    }

    /// <summary>The factory of fresh models: a built-in scenario, or a scenario file (whose vCPU count wins). False if refused.</summary>
    private bool LoadScenario()
    {
        try
        {
            var symmetric = SymmetryApplies;
            if (!CheckScenarioFile.IsFile(_scenario))
            {
                _exact = _mine is null ? Scenarios.Explorable(_scenario, _name, _vcpus) : Scenarios.Explorable(_scenario, _mine, _vcpus);
                _build = !symmetric ? _exact : _mine is null ? Scenarios.Explorable(_scenario, _name, _vcpus, true) : Scenarios.Explorable(_scenario, _mine, _vcpus, true);
                NoteSymmetry();
                return true;
            }

            _scenario = Path.GetFullPath(_scenario);
            (var fileVcpus, _fromFile) = CheckScenarioFile.Load(_scenario);
            if (pr.GetResult(o.Vcpus) is { Implicit: false } && _vcpus != fileVcpus)
            {
                stderr.WriteLine($"pvmmu check: {_scenario} has {fileVcpus} vCPUs; --vcpus {_vcpus} disagrees");
                return false;
            }

            _vcpus = fileVcpus;
            var s = _mine ?? ExitStrategies.Find(_name)!;
            var machines = _fromFile;
            _exact = () => new MachineModel(machines(s));
            _build = symmetric ? () => new MachineModel(machines(s), true) : _exact;
            NoteSymmetry();
            return true;
        }
        catch (ArgumentException e)
        {
            stderr.WriteLine($"pvmmu check: {e.Message}");
            return false;
        }
        catch (ScenarioException e)
        {
            stderr.WriteLine($"pvmmu check: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Whether <c>--symmetry on</c> changes this run: only an exhaustive search of a guest scenario explores the
    /// abstraction; <c>--reach</c> always searches the exact model (the schedule it writes must be one the kernel can run).
    /// </summary>
    private bool SymmetryApplies =>
        pr.GetValue(o.Symmetry) == "on" && !HypervisorOnly && pr.GetValue(o.Reach) is null && pr.GetValue(o.Search) == "exhaustive";

    /// <summary>The classes the abstraction merges, from one model of it.</summary>
    private void NoteSymmetry()
    {
        if (_build() is MachineModel { Symmetry: { } g })
        {
            _symmetry = new CheckSymmetry(true, g.Classes);
        }
    }

    /// <summary>The search's refinements (sleep sets, preemption bound, --reach's branch) and which search runs. False if refused.</summary>
    private bool ChooseSearch()
    {
        _bounded = pr.GetValue(o.Preemptions);
        if (_bounded != null && pr.GetValue(o.Por) == "on")
        {
            stderr.WriteLine("pvmmu check: --por on cannot go with --preemptions: a commuted order can need more preemptions, so sleep sets are off under a preemption bound");
            return false;
        }

        _reduce = pr.GetValue(o.Por) != "off" && _bounded == null && !_symmetry.On;
        _target = pr.GetValue(o.Reach) is { } rn ? Branches.Find(rn) : null;
        if (_target != null && (HypervisorOnly || pr.GetResult(o.Search) is { Implicit: false } && pr.GetValue(o.Search) != "exhaustive"))
        {
            stderr.WriteLine($"pvmmu check: --reach needs an exhaustive search of a guest scenario{(HypervisorOnly ? $"; {_scenario} runs on the hypervisor alone" : $"; got --search {pr.GetValue(o.Search)}")}");
            return false;
        }

        _asJson = pr.GetValue(o.Json);
        _text = _asJson ? TextWriter.Null : stdout;
        _how = _target != null ? "exhaustive" : pr.GetValue(o.Search)!;
        return true;
    }

    private int Threads => _how == "exhaustive" ? pr.GetValue(o.Threads) : 1;

    private string PctName => $"PCT (depth {pr.GetValue(o.PctDepth).ToString(Inv)})";

    /// <summary>The seed, then one line saying what is searched and how.</summary>
    private void WriteHeader()
    {
        _text.WriteLine($"seed {pr.GetValue(o.Seed).ToString(Inv)}");
        var what = HypervisorOnly ? "xen " + _name : "strategy " + _name;
        var (sched, boundK, nThreads) = (pr.GetValue(o.Schedules), pr.GetValue(o.Bound), Threads);
        var exhaustiveHow = $"exhaustive to {boundK.ToString(Inv)} moves"
            + (_bounded is { } pk ? $" and {pk.ToString(Inv)} preemptions" : string.Empty)
            + (_reduce ? ", sleep sets" : ", no partial-order reduction")
            + (_how == "exhaustive" ? $", {nThreads.ToString(Inv)} thread{(nThreads == 1 ? string.Empty : "s")}" : string.Empty);
        if (_target != null && pr.GetValue(o.Symmetry) == "on")
        {
            _text.WriteLine("symmetry: --reach searches the exact model (--symmetry off), so the schedule it writes is one the kernel can run");
        }

        _text.WriteLine(_how switch
        {
            "exhaustive" => $"check: scenario {_scenario}, {what}, {_vcpus} vCPUs, {exhaustiveHow}" + (_symmetry.On ? $", symmetry on (cpumask walks in any order; interchangeable vCPUs: {_symmetry.ClassText})" : string.Empty),
            "portfolio" => $"check: scenario {_scenario}, {what}, {_vcpus} vCPUs, portfolio: {exhaustiveHow}, {sched.ToString(Inv)} {PctName} and {sched.ToString(Inv)} random schedules",
            _ => $"check: scenario {_scenario}, {what}, {_vcpus} vCPUs, {sched.ToString(Inv)} {(_how == "pct" ? PctName : "random")} schedules of at most {boundK.ToString(Inv)} moves",
        });
    }

    /// <summary>Runs the search asked for: its result, which search answered, and for a portfolio what the others sampled.</summary>
    private (ExplorationResult Result, string From, string? Others) Search(long cap)
    {
        var (seedK, sched, depthD, boundK) = (pr.GetValue(o.Seed), pr.GetValue(o.Schedules), pr.GetValue(o.PctDepth), pr.GetValue(o.Bound));
        var limit = pr.GetValue(o.Time) is { } tt ? CheckCommand.Duration(tt) : null;
        void Report(long states, long distinct, int deepest, TimeSpan elapsed) =>
            stderr.WriteLine($"progress: {states.ToString(Inv)} states, {distinct.ToString(Inv)} distinct, {(states / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("F0", Inv)} states/s, deepest {deepest.ToString(Inv)}, {elapsed.TotalSeconds.ToString("F0", Inv)} s");
        if (_how == "portfolio")
        {
            var p = new PortfolioExplorer(_build, seedK, sched, boundK, _vcpus, depthD, ScheduleLength(_build), limit, cap) { Progress = Report, PartialOrder = _reduce, Preemptions = _bounded, Cancel = Signals.Token }.Run();
            string? others = null;
            if (p.From == "exhaustive" && p.Result.Violation == null && (!p.Result.Exhausted || p.Result.PreemptionBoundCut))
            {
                // No search answered, so none was stopped: the sampled coverage is the same on every run.
                others = $"; {p.Pct.Schedules.ToString(Inv)} PCT and {p.Random.Schedules.ToString(Inv)} random schedules sampled, no violation";
            }

            _text.WriteLine($"portfolio: the answer comes from {p.From}");
            return (p.Result, p.From, others);
        }

        var r = _how == "exhaustive"
            ? new ExhaustiveExplorer(_build, boundK, cap)
            {
                TimeLimit = limit,
                Progress = Report,
                PartialOrder = _reduce,
                Preemptions = _bounded,
                Threads = Threads,
                Cancel = Signals.Token,
                ReachMask = _target is { } tb ? 1UL << (int)tb : 0,
                ReachedMessage = _target is { } tn ? Replayer.ReachedPrefix + Branches.Name(tn) : "reached",
            }.Run()
            : new RandomWalkExplorer(_build, seedK, sched, boundK, _how == "pct" ? RandomWalkExplorer.Pct(seedK, _vcpus, depthD, ScheduleLength(_build)) : null, limit) { Progress = Report, Cancel = Signals.Token }.Run();
        return (r, _how, null);
    }

    private string Json(ExplorationResult r, string from, IReadOnlyList<Move>? shrunk, string? v, string? file) =>
        CheckJson.Write(_scenario, _name, _vcpus, _how, from, pr.GetValue(o.Seed), pr.GetValue(o.Bound), r, shrunk, v, file, _symmetry);

    /// <summary>--reach: the branch taken is the search's "finding"; the schedule that takes it is the replay file.</summary>
    private int Reached(Branch goal, ExplorationResult r, string from, string covered)
    {
        var branch = Branches.Name(goal);
        if (r.Violation == null || !r.Violation.StartsWith(Replayer.ReachedPrefix, StringComparison.Ordinal))
        {
            if (_asJson)
            {
                stdout.Write(Json(r, from, null, r.Violation, null));
            }

            var incomplete = CheckVerdict.IncompleteBecause(r with { Violation = null }, from);
            _text.WriteLine(r.Violation != null
                ? $"a violation came first, before {branch} was reached: {r.Violation}"
                : incomplete == null
                ? $"{branch} is not reachable: every schedule explored ({covered}), none takes it"
                : $"{branch} not reached; search incomplete ({incomplete}), so it may still be reachable ({covered})");
            return r.Violation != null || incomplete == null ? ExitCodes.Finding : ExitCodes.Incomplete;
        }

        var reachFile = new ReplayFile(_scenario, _name, _vcpus, r.Counterexample, r.Violation);
        if (WriteReplay(reachFile) is not { } reachPath)
        {
            return ExitCodes.BadInput;
        }

        _text.WriteLine($"reached {branch} after {r.Counterexample.Count.ToString(Inv)} moves ({covered})");
        _text.WriteLine($"replay file: {reachPath}");
        _text.Write(Replayer.Run(reachFile, build: _fromFile, strategy: _mine).Timeline);
        if (_asJson)
        {
            stdout.Write(Json(r, from, r.Counterexample, r.Violation, reachPath));
        }

        return ExitCodes.Ok;
    }

    /// <summary>A violation: shrunk, written as a replay file, and replayed as a timeline whose last line is the violation.</summary>
    private int Counterexample(ExplorationResult r, string from, string covered)
    {
        var shrunk = Shrinker.Shrink(_build, r.Counterexample);
        var violation = ScheduleCheck.Run(_build, shrunk).Violation!;
        _text.WriteLine($"violation after {r.Counterexample.Count.ToString(Inv)} moves ({covered}), shrunk to {shrunk.Count.ToString(Inv)} moves");
        var file = new ReplayFile(_scenario, _name, _vcpus, shrunk, violation);
        if (WriteReplay(file) is not { } path)
        {
            return ExitCodes.BadInput;
        }

        // The violation itself is the timeline's last line (with the meaning of each invariant it names).
        _text.WriteLine($"replay file: {path}");
        _text.Write(Replayer.Run(file, build: _fromFile, strategy: _mine).Timeline);
        if (_asJson)
        {
            stdout.Write(Json(r, from, shrunk, violation, path));
        }

        return ExitCodes.Finding;
    }

    /// <summary>
    /// The replay file at --out, naming a scenario file relative to itself; its full path, or null (said on stderr)
    /// when it cannot be written.
    /// </summary>
    private string? WriteReplay(ReplayFile f)
    {
        var at = Path.GetFullPath(pr.GetValue(o.Output)!);
        try
        {
            var strategyAt = _mine is FileStrategy fs ? Path.GetRelativePath(Path.GetDirectoryName(at)!, Path.GetFullPath(fs.File)) : null;
            AtomicFile.WriteAllText(at, (f with { Scenario = CheckScenarioFile.ForReplayFile(_scenario, at), StrategyFile = strategyAt }).ToJson());
            return at;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"pvmmu check: --out: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// What an exhaustive search covered: with one thread every count; with more, only the distinct and end states
    /// (set sizes, the same whatever the timing); the rest goes to stderr.
    /// </summary>
    private static string Covered(ExplorationResult r)
    {
        var sets = $"{r.DistinctStates.ToString(Inv)} distinct, {r.EndStates.ToString(Inv)} end {(r.EndStates == 1 ? "state" : "states")}";
        return r.Threads > 1
            ? sets
            : $"{r.States.ToString(Inv)} states, {sets}, deepest {r.MaxDepth.ToString(Inv)} moves" + (r.SleepSets ? $", {r.Slept.ToString(Inv)} moves spared by sleep sets" : string.Empty);
    }

    /// <summary>The length of one schedule (always the first enabled move): PCT's k, where its change points fall.</summary>
    private static int ScheduleLength(Func<IExplorable> build)
    {
        RunLoop.Run(build(), new FirstEnabledScheduler(), null, out var moves, 10_000);
        return (int)Math.Max(moves, 1);
    }
}
