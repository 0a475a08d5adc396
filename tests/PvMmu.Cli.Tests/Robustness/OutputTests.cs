using PvMmu.Events;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Outputs;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Robustness;

/// <summary>Every output file is written whole or not at all, and what calibrate writes reads back.</summary>
public sealed class OutputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pvmmu-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Trait("Category", "Slow")]
    [Fact]
    public void AnUnwritableOutputIsOneLineAndLeavesNothing()
    {
        foreach (var target in new[] { _dir, Path.Combine(_dir, "missing", "t.toml") })
        {
            var (exit, _, err) = Run("calibrate", "--write", target);
            Assert.Equal(ExitCodes.BadInput, exit);
            Assert.StartsWith("pvmmu calibrate: --write: cannot write ", Assert.Single(err.TrimEnd('\n').Split('\n')), StringComparison.Ordinal);
        }

        var trace = Run("run", "--trace", Path.Combine(_dir, "no", "t.json"));
        Assert.Equal(ExitCodes.BadInput, trace.Exit);
        Assert.StartsWith("pvmmu run: --trace: cannot write ", trace.Err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileWhole()
    {
        var path = Path.Combine(_dir, "t.json");
        File.WriteAllText(path, "old");

        // A write that fails (here: a directory where the file should be) touches no other file and leaves no temporary.
        var blocked = Path.Combine(_dir, "d");
        Directory.CreateDirectory(blocked);
        Assert.Throws<IOException>(() => AtomicFile.WriteAllText(blocked, "new"));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["d", "t.json"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void ConcurrentWritersOfOnePathLeaveOneWholeOutput()
    {
        var path = Path.Combine(_dir, "same.txt");
        var texts = Enumerable.Range(0, 8).Select(i => new string((char)('a' + i), 1 << 20)).ToArray();
        Parallel.For(0, 64, i => AtomicFile.WriteAllText(path, texts[i % texts.Length]));
        Assert.Contains(File.ReadAllText(path), texts);
        Assert.Equal(["same.txt"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void TheFittedTableReadsBackAsTheTableCalibratePrinted()
    {
        var path = Path.Combine(_dir, "fitted.toml");
        var (exit, output, err) = Run("calibrate", "--write", path);
        Assert.True(exit == ExitCodes.Ok, err);
        Assert.EndsWith($"wrote {path}\n", output, StringComparison.Ordinal);
        var back = CostTable.Load(path);

        // The same prices the fit gives, to the three decimals the file keeps.
        var fitted = Calibration.Fit(CostTable.Priors, "calibrated-8a181133e2").Table;
        foreach (var e in EventKinds.Priced)
        {
            Assert.Equal(Math.Round(fitted[e], 3), back[e], 6);
        }

        Assert.Equal(ExitCodes.Ok, Run("run", "--cost", path).Exit);
    }
}
