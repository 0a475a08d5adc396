using System.CommandLine;
using System.Globalization;
using PvMmu.Explore.Counterexamples;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Inputs;
using PvMmu.Sim.Outputs;

namespace PvMmu.Cli.Commands;

/// <summary><c>pvmmu check</c> and <c>pvmmu replay</c>: every schedule of a scenario, and one schedule again.</summary>
public static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var o = new CheckOptions();
        var check = new Command("check", "Explore every schedule of a scenario; exit 0 if every schedule to the bound is clean, 2 with a counterexample, 3 if the search was incomplete (a cap cut it, or it sampled) and found nothing.");
        foreach (var option in o.All)
        {
            check.Options.Add(option);
        }

        check.SetAction(pr => new CheckRun(pr, o, stdout, stderr).Execute());
        return check;
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
