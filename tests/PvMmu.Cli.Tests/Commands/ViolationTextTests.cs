using System.Text.Json;
using System.Text.RegularExpressions;
using PvMmu.Explore.Checks;

namespace PvMmu.Cli.Tests.Commands;

/// <summary>
/// A violation as printed: once, its list cut after a few items, each invariant it names given its meaning; the
/// full text stays in the JSON and the replay file.
/// </summary>
public sealed class ViolationTextTests
{
    private static string Items(int n) => string.Join("; ", Enumerable.Range(1, n).Select(i => $"G4: frame {i}: PagePinned True"));

    [Fact]
    public void AListIsCutAfterThreeItemsAndTheRestCounted()
    {
        // Four items are shown whole: cutting one would save nothing.
        Assert.Equal(Items(4), ViolationText.Cut(Items(4)));
        Assert.Equal(Items(3) + "; ..., and 7 more", ViolationText.Cut(Items(10)));
    }

    [Fact]
    public void EveryInvariantNamedIsListedOnceInOrderWithItsMeaning()
    {
        var v = "at the end: G5: CPU 1 has freed mm 2 loaded; frame 9: split PTE lock still held between operations; G5: mm 2: mm_users 0, mm_count 0; xen: I1/I4: frame 3 general count 1, holders 2; xen: I8: vCPU 0 caches ...";
        Assert.Equal(["G5", "I1", "I4", "I8"], ViolationText.Invariants(v));

        // Invariants named only in the part that is cut are listed too.
        Assert.Equal(["G4", "I2"], ViolationText.Invariants(Items(10) + "; xen: I2: L1 4[3] maps frame 5 writable while it is L1"));

        var lines = ViolationText.Lines("G3: CPU 0: xen_current_cr3 says frame 7, Xen has 8", "  ").Split('\n');
        Assert.Equal("  violation: G3: CPU 0: xen_current_cr3 says frame 7, Xen has 8", lines[0]);
        Assert.StartsWith("  G3 stale xen_current_cr3: ", lines[1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, lines[2]);
    }

    /// <summary>Every label the two checkers write has a meaning, read from their source so that a new one cannot be missed.</summary>
    [Fact]
    public void EveryLabelTheCheckersWriteHasAMeaning()
    {
        var sources = new[]
        {
            Path.Combine(RepoPaths.Root, "src", "PvMmu.Linux", "Invariants", "GuestInvariantChecker.cs"),
            Path.Combine(RepoPaths.Root, "src", "PvMmu.Xen", "Invariants", "InvariantChecker.cs"),
        };
        var labels = sources
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), "errors\\.Add\\(\\$?\"(?<ids>[GI][0-9](?:/[GI][0-9])*):").Select(m => m.Groups["ids"].Value))
            .SelectMany(ids => ids.Split('/'))
            .Distinct()
            .ToList();
        Assert.Equal(13, labels.Count);
        foreach (var id in labels)
        {
            Assert.NotNull(ViolationText.Meaning(id));
        }
    }

    /// <summary>
    /// check printed a violation of ten failed entries (some 900 characters) twice: as its own line and again at the end
    /// of the timeline. Now once, cut, with the meaning of each invariant it names.
    /// </summary>
    [Fact]
    public void CheckPrintsTheViolationOnceCutWithItsMeanings()
    {
        string[] args = ["check", "--scenario", "exit-vs-switch", "--vcpus", "3", "--strategy", "BrokenCpumaskOnly", "--out", Path.Combine(Path.GetTempPath(), $"pvmmu-cex-{Guid.NewGuid():N}.json")];
        var json = new StringWriter();
        Assert.Equal(ExitCodes.Finding, Program.Run([.. args, "--json"], json, new StringWriter()));
        var full = JsonDocument.Parse(json.ToString()).RootElement.GetProperty("violation").GetString()!;
        var items = full.Split("; ").Length;
        Assert.True(items > ViolationText.Shown + 1, $"the test needs a violation of more than {ViolationText.Shown + 1} items; it has {items}");

        var text = new StringWriter();
        Assert.Equal(ExitCodes.Finding, Program.Run(args, text, new StringWriter()));
        var lines = text.ToString().Split('\n');
        var violation = Assert.Single(lines, l => l.Contains("violation: ", StringComparison.Ordinal));
        Assert.EndsWith($"; ..., and {items - ViolationText.Shown} more", violation, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains(full, StringComparison.Ordinal));
        var next = lines[Array.IndexOf(lines, violation) + 1];
        Assert.StartsWith("      G1 WARN or oops: ", next, StringComparison.Ordinal);
    }
}
