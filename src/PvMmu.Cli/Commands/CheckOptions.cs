using System.CommandLine;
using PvMmu.Explore.Exhaustive;
using PvMmu.Explore.Models;
using PvMmu.Linux.Accounting;
using PvMmu.Linux.Exit;

namespace PvMmu.Cli.Commands;

/// <summary>The options of <c>pvmmu check</c>, each with its description, default and validation.</summary>
internal sealed class CheckOptions
{
    public CheckOptions()
    {
        Scenario.CustomParser = r =>
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
        OptionValue.OneOf(Xen, [.. Xsa401Race.Orderings.Union(Xsa286Race.Variants)]);
        OptionValue.OneOf(Strategy, [.. ExitStrategies.All.Select(s => s.Name)]);
        OptionValue.Require(Vcpus, v => v is >= Scenarios.MinVcpus and <= Scenarios.MaxVcpus, $"--vcpus must be from {Scenarios.MinVcpus} to {Scenarios.MaxVcpus}");
        OptionValue.OneOf(Search, "portfolio", "exhaustive", "random", "pct");
        OptionValue.Require(PctDepth, v => v is >= 1 and <= 16, "--pct-depth must be from 1 to 16");
        Time.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } t && CheckCommand.Duration(t) == null)
            {
                r.AddError($"--time: expected a duration such as 60s, 2m or 500ms, got '{t}'");
            }
        });
        OptionValue.Require(Schedules, v => v >= 1, "--schedules must be at least 1");
        OptionValue.Require(Bound, v => v >= 1, "--bound must be at least 1");
        OptionValue.Require(Preemptions, v => v is null or (>= 0 and <= 1000), "--preemptions must be from 0 to 1000");
        OptionValue.OneOf(Por, "on", "off");
        OptionValue.Require(Threads, v => v is >= 1 and <= 256, "--threads must be from 1 to 256");
        OptionValue.Require(MaxStates, v => v is >= 1 and <= 1L << 32, "--max-states must be from 1 to 4294967296");
        Reach.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } b && Branches.Find(b) == null)
            {
                r.AddError($"--reach: expected one of {Branches.Names}; got '{(b.Length > 60 ? b[..60] + "..." : b)}'");
            }
        });
        OptionValue.OneOf(Symmetry, "on", "off");
    }

    public Option<string> Scenario { get; } = new("--scenario") { Description = "lazy-exit, lazy-borrowers, exit-vs-switch, threads-exit, exit-vs-fork, gfp-atomic-fallback, lazy-vmap, xsa-401, xsa-286 (a 32-bit PAE guest), xsa-286-pv64 (a 64-bit one; these three on the hypervisor alone), or a scenario file FILE.yaml (docs/scenario-format.md).", DefaultValueFactory = _ => "lazy-exit" };

    public Option<string> Xen { get; } = new("--xen") { Description = "For xsa-401: current (the flush after the type cmpxchg) or pre-xsa-401 (before it). For xsa-286 and xsa-286-pv64: current, relaxed-flush (Xen edcfce5591 and bed7e6cad3, April-May 2021) or 4.8.", DefaultValueFactory = _ => "current" };

    public Option<string> Strategy { get; } = new("--strategy") { Description = "The exit path: " + ExitStrategies.Names + ".", DefaultValueFactory = _ => "Linux61" };

    public Option<int> Vcpus { get; } = new("--vcpus") { Description = $"vCPUs, {Scenarios.MinVcpus} to {Scenarios.MaxVcpus}.", DefaultValueFactory = _ => Scenarios.MinVcpus };

    public Option<int> Bound { get; } = new("--bound") { Description = "The deepest schedule explored, in moves.", DefaultValueFactory = _ => ExhaustiveExplorer.DefaultMaxDepth };

    public Option<ulong> Seed { get; } = OptionValue.Seed("The random walk's seed; printed first (the exhaustive search does not draw on it).");

    public Option<string> Search { get; } = new("--search") { Description = "portfolio (the three below at once), exhaustive (every schedule to --bound), random (--schedules seeded random walks) or pct (--schedules seeded PCT runs of depth --pct-depth).", DefaultValueFactory = _ => "portfolio" };

    public Option<int> PctDepth { get; } = new("--pct-depth") { Description = "PCT's bug depth d: d - 1 priority change points per schedule.", DefaultValueFactory = _ => 3 };

    public Option<string?> Time { get; } = new("--time") { Description = "Stop after this long (e.g. 60s, 2m, 500ms); what was covered is reported." };

    public Option<long> Schedules { get; } = new("--schedules") { Description = "How many schedules the random walk draws.", DefaultValueFactory = _ => 10_000 };

    public Option<int?> Preemptions { get; } = new("--preemptions") { Description = "Exhaustive search: at most K preemptions per schedule (switches away from a vCPU that could still move); sleep sets are then off." };

    public Option<string?> Por { get; } = new("--por") { Description = "Exhaustive search: partial-order reduction by sleep sets, on (the default) or off." };

    public Option<int> Threads { get; } = new("--threads") { Description = "Exhaustive search: threads over subtrees of the schedules (default: every core).", DefaultValueFactory = _ => Environment.ProcessorCount };

    public Option<long> MaxStates { get; } = new("--max-states") { Description = "Exhaustive search: stop after visiting this many states (a cap on time and memory: 16 bytes of visited set a distinct state, kept at most half full).", DefaultValueFactory = _ => 2_000_000 };

    public Option<string?> Reach { get; } = new("--reach") { Description = "Search (exhaustively) for a schedule that takes the named branch and write it as a replay file: exit 0 if reached, 2 if no schedule does, 3 if a cap stopped the search. Names: see the coverage lines." };

    public Option<string> Symmetry { get; } = new("--symmetry") { Description = "Exhaustive search of a guest scenario: on explores an abstraction whose cpumask walks take their CPUs in any order and merges states that differ by a renaming of interchangeable vCPUs (a finding there is re-checked on the exact model); off explores the exact model (docs/model.md, \"Symmetry\").", DefaultValueFactory = _ => "off" };

    public Option<bool> Json { get; } = new("--json") { Description = "Print the verdict and the coverage as one JSON object (no timeline)." };

    public Option<string?> StrategyFile { get; } = StrategyFileOption.One();

    public Option<string> Output { get; } = new("--out") { Description = "Where a counterexample's replay file goes.", DefaultValueFactory = _ => "pvmmu-counterexample.json" };

    /// <summary>Every option, in the order <c>pvmmu check --help</c> lists them.</summary>
    public IEnumerable<Option> All =>
        [Scenario, Strategy, StrategyFile, Xen, Vcpus, Search, Bound, Preemptions, Por, Threads, MaxStates, Schedules, PctDepth, Time, Seed, Output, Json, Reach, Symmetry];
}
