using System.Text.Json;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// A replay file names its scenario file relative to its own directory, so the two can move together (it named it
/// by the absolute path on the machine that wrote it); replay looks for it there, not in the working directory.
/// </summary>
public sealed class ReplayFilePathTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void AScenarioFileIsNamedRelativeToTheReplayFileAndFoundThereAfterAMove()
    {
        var root = Path.Combine(Path.GetTempPath(), $"pvmmu-rel-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(root, "scenarios"));
        Directory.CreateDirectory(Path.Combine(root, "out"));
        var scenario = Path.Combine(root, "scenarios", "evs.yaml");
        File.Copy(Path.Combine(RepoPaths.Root, "examples", "check", "exit-vs-switch.yaml"), scenario);
        var replay = Path.Combine(root, "out", "cex.json");
        var (exit, _, _) = Run("check", "--scenario", scenario, "--strategy", "BrokenCpumaskOnly", "--out", replay);
        Assert.Equal(ExitCodes.Finding, exit);

        var named = JsonDocument.Parse(File.ReadAllText(replay)).RootElement.GetProperty("scenario").GetString()!;
        Assert.Equal(Path.Combine("..", "scenarios", "evs.yaml"), named);
        var before = Run("replay", replay);
        Assert.Equal(ExitCodes.Finding, before.Exit);

        // Move both (the working directory stays where it was, so a path read relative to it would not be found).
        var moved = root + "-moved";
        Directory.Move(root, moved);
        var after = Run("replay", Path.Combine(moved, "out", "cex.json"));
        Assert.Equal(ExitCodes.Finding, after.Exit);
        Assert.StartsWith($"replay: scenario {Path.Combine(moved, "scenarios", "evs.yaml")}, strategy BrokenCpumaskOnly, 3 vCPUs, ", after.Out, StringComparison.Ordinal);
        Assert.Equal(before.Out.Replace(root, moved, StringComparison.Ordinal), after.Out);

        // Without the scenario file beside it, the replay says where it looked: one line, exit 1.
        File.Delete(Path.Combine(moved, "scenarios", "evs.yaml"));
        var missing = Run("replay", Path.Combine(moved, "out", "cex.json"));
        Assert.Equal(ExitCodes.BadInput, missing.Exit);
        Assert.Contains(Path.Combine(moved, "scenarios", "evs.yaml"), missing.Err, StringComparison.Ordinal);
        Assert.Single(missing.Err.TrimEnd().Split('\n'));
        Directory.Delete(moved, recursive: true);
    }
}
