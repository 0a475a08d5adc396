using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PvMmu.Sim.Bench;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu bench</c>: the project's own throughput in one table (or JSON), against its goals.</summary>
public static class BenchCommand
{
    public const double PtEntryGoal = 50e6;
    public const double SimToWallGoal = 10;
    public const int BytesPerFrameGoal = 24;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON (pt_entry_ops_per_sec, sim_to_wall_ratio, sim_to_wall_mmu_only, bytes_per_frame)." };
        var rounds = new Option<int>("--rounds") { Description = "Timed rounds per figure (the best is kept), 1 to 100.", DefaultValueFactory = _ => 10 };
        OptionValue.Require(rounds, v => v is >= 1 and <= 100, "--rounds must be from 1 to 100");
        var cmd = new Command("bench", "Measure the model's own throughput: PT-entry operations per second, simulated time per wall second, bytes per frame.") { json, rounds };
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
                stdout.Write(string.Create(inv, $"(default mix: {ThroughputBench.MixWorkload}, {ThroughputBench.MixVcpus} vCPUs, Linux61: {modeled:0} modeled µs (setup left out; {mmu:0} of them MMU events) in {wall:0} wall µs (the whole run); best of {n} rounds after {ThroughputBench.WarmUpRounds} warm-up runs)\n"));
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static string Verdict(bool met) => met ? "  met" : "  NOT MET";
}
