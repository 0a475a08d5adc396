using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PvMmu.Explore.Bench;
using PvMmu.Sim.Bench;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu bench</c>: the project's own throughput in one table (or JSON), against its goals.</summary>
public static class BenchCommand
{
    public const double PtEntryGoal = 50e6;
    public const double SimToWallGoal = 10;
    public const int BytesPerFrameGoal = 24;
    public const double ExplorerStatesGoal = 1e6;
    public const double ExplorerBytesGoal = 16;

    /// <summary>The explorer figure's scenario: the thread's own, every vCPU working; at 4 vCPUs its complete search has 33,326,830 distinct states.</summary>
    public const string ExplorerScenario = "lazy-exit";
    public const int ExplorerVcpus = 4;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (pt_entry_ops_per_sec, sim_to_wall_ratio, sim_to_wall_mmu_only, bytes_per_frame)." };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds per figure (the best is kept), 1 to 100.", DefaultValueFactory = _ => 10 };
        OptionValue.Require(rounds, v => v is >= 1 and <= 100, "--rounds must be from 1 to 100");
        var exScenario = new Option<string>("--explorer-scenario") { Description = "The explorer figure's guest scenario.", DefaultValueFactory = _ => ExplorerScenario };
        exScenario.AcceptOnlyFromAmong([.. PvMmu.Explore.Models.Scenarios.Names]);
        var exVcpus = new Option<int>("--explorer-vcpus") { Description = "Its vCPUs, 2 to 8.", DefaultValueFactory = _ => ExplorerVcpus };
        OptionValue.Require(exVcpus, v => v is >= 2 and <= 8, "--explorer-vcpus must be from 2 to 8");
        var exThreads = new Option<int>("--explorer-threads") { Description = "Its search threads, 1 to 64.", DefaultValueFactory = _ => 2 };
        OptionValue.Require(exThreads, v => v is >= 1 and <= 64, "--explorer-threads must be from 1 to 64");
        var exCap = new Option<long>("--explorer-max-states") { Description = "Its state cap (states visited).", DefaultValueFactory = _ => 100_000_000 };
        OptionValue.Require(exCap, v => v is >= 1 and <= 1L << 32, "--explorer-max-states must be from 1 to 4294967296");
        var noExplorer = new Option<bool>("--no-explorer") { Description = "Leave the explorer figure out (it is one complete search, minutes long)." };
        var cmd = new Command("bench", "Measure the model's own throughput: PT-entry operations per second, simulated time per wall second, bytes per frame, and the explorer's distinct states per second.") { json, rounds, exScenario, exVcpus, exThreads, exCap, noExplorer };
        cmd.SetAction(pr =>
        {
            var n = pr.GetValue(rounds);
            var (ops, (ratio, modeled, wall, mmu)) = ProgressBar.Run(stderr, "bench", 2, p =>
            {
                var o = ThroughputBench.PtEntryOpsPerSecond(n, 4);
                p(1);
                var s = ThroughputBench.SimToWall(n);
                p(2);
                return (o, s);
            });
            var bytes = ThroughputBench.BytesPerFrame;
            var inv = CultureInfo.InvariantCulture;
            ExplorerBench.Figure? ex = null;
            if (!pr.GetValue(noExplorer))
            {
                if (PvMmu.Explore.Exhaustive.ExhaustiveExplorer.MemoryProblem(pr.GetValue(exCap)) is { } tooBig)
                {
                    stderr.WriteLine($"pvmmu bench: --explorer-max-states: {tooBig}");
                    return ExitCodes.BadInput;
                }

                ex = ProgressBar.Run(stderr, "bench explorer", 1, p =>
                {
                    var f = ExplorerBench.Run(pr.GetValue(exScenario)!, "Linux61", pr.GetValue(exVcpus), pr.GetValue(exThreads), pr.GetValue(exCap));
                    p(1);
                    return f;
                });
            }

            if (pr.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartObject();
                    w.WriteNumber("pt_entry_ops_per_sec", Math.Round(ops));
                    w.WriteNumber("sim_to_wall_ratio", Math.Round(ratio, 2));
                    w.WriteNumber("sim_to_wall_mmu_only", Math.Round(mmu / wall, 2));
                    w.WriteNumber("bytes_per_frame", bytes);
                    w.WriteString("mix", $"{ThroughputBench.MixWorkload}, {ThroughputBench.MixVcpus} vCPUs, Linux61");
                    w.WriteNumber("mix_modeled_us", Math.Round(modeled, 1));
                    w.WriteNumber("mix_mmu_modeled_us", Math.Round(mmu, 1));
                    w.WriteNumber("mix_wall_us", Math.Round(wall, 1));
                    w.WriteNumber("rounds", n);
                    if (ex != null)
                    {
                        w.WriteStartObject("explorer");
                        w.WriteString("scenario", ex.Scenario);
                        w.WriteString("strategy", ex.Strategy);
                        w.WriteNumber("vcpus", ex.Vcpus);
                        w.WriteNumber("threads", ex.Threads);
                        w.WriteNumber("distinct_states", ex.DistinctStates);
                        w.WriteBoolean("complete", ex.Complete);
                        w.WriteNumber("seconds", Math.Round(ex.Seconds, 3));
                        w.WriteNumber("distinct_states_per_sec", Math.Round(ex.DistinctStatesPerSecond));
                        w.WriteNumber("bytes_per_state", Math.Round(ex.BytesPerState, 1));
                        w.WriteEndObject();
                    }

                    w.WriteEndObject();
                }

                stdout.Write(System.Text.Encoding.UTF8.GetString(stream.ToArray()) + "\n");
            }
            else
            {
                stdout.Write($"{"measure",-40}{"result",16}{"goal",12}\n");
                stdout.Write(string.Create(inv, $"{"validated PT-entry operations / s (1 core)",-40}{ops / 1e6,14:0.0} M{"≥ 50 M",12}{Verdict(ops >= PtEntryGoal)}\n"));
                stdout.Write(string.Create(inv, $"{"simulated / wall time, default mix",-40}{ratio,16:0.00}{"≥ 10",12}{Verdict(ratio >= SimToWallGoal)}\n"));
                stdout.Write(string.Create(inv, $"{"simulated / wall time, MMU events only",-40}{mmu / wall,16:0.00}{"≥ 10",12}{Verdict(mmu / wall >= SimToWallGoal)}\n"));
                stdout.Write(string.Create(inv, $"{"bytes per frame",-40}{bytes,16}{"≤ 24",12}{Verdict(bytes <= BytesPerFrameGoal)}\n"));
                if (ex != null)
                {
                    stdout.Write(string.Create(inv, $"{$"explorer distinct states / s ({ex.Threads} thr.)",-40}{ex.DistinctStatesPerSecond / 1e6,14:0.00} M{"≥ 1 M",12}{Verdict(ex.DistinctStatesPerSecond >= ExplorerStatesGoal)}\n"));
                    stdout.Write(string.Create(inv, $"{"explorer visited-set bytes per state",-40}{ex.BytesPerState,16:0.0}{"≤ 16",12}{Verdict(ex.BytesPerState <= ExplorerBytesGoal)}\n"));
                }

                stdout.Write(string.Create(inv, $"(default mix: {ThroughputBench.MixWorkload}, {ThroughputBench.MixVcpus} vCPUs, Linux61: {modeled:0} modeled µs (setup left out; {mmu:0} of them MMU events) in {wall:0} wall µs (the whole run); best of {n} rounds after {ThroughputBench.WarmUpRounds} warm-up runs)\n"));
            }

            if (ex != null && pr.GetValue(json) is false)
            {
                stdout.Write(string.Create(inv, $"(explorer: {ex.Scenario}, {ex.Vcpus} vCPUs, {ex.Strategy}: {ex.DistinctStates} distinct states {(ex.Complete ? "in a complete search" : "before the cap stopped the search")}, {ex.Seconds:0.0} s on {ex.Threads} threads)\n"));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string Verdict(bool met) => met ? "  met" : "  NOT MET";
}
