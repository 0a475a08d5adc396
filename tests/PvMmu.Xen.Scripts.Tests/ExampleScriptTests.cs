namespace PvMmu.Xen.Scripts.Tests;

/// <summary>
/// Every script in examples/xen runs under each Xen version its <c>versions</c> line names, and every
/// expectation in it holds: the XSA and XTF sequences are refused or harmless under current rules and, where
/// the bug was live in Xen 4.8, show it there.
/// </summary>
public sealed class ExampleScriptTests
{
    public static TheoryData<string, string> Runs()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in Directory.GetFiles(RepoPaths.ExamplesXen, "*.xen").Order(StringComparer.Ordinal))
        {
            foreach (var v in Parse(path).Versions)
            {
                data.Add(Path.GetFileName(path), XenRules.Name(v));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void EveryExpectationHolds(string file, string version)
    {
        var script = Parse(Path.Combine(RepoPaths.ExamplesXen, file));
        Assert.True(XenRules.TryParse(version, out var v));
        var output = new StringWriter();
        var summary = XenScriptRunner.Run(script, v, output);
        Assert.True(summary.Held, output.ToString());
        Assert.True(summary.Operations > 0 && summary.Assertions + summary.Operations > 2, "a script must do something");
    }

    [Fact]
    public void ThereAreAtLeastTwentyScriptsAndMostRunUnderBothVersions()
    {
        var files = Directory.GetFiles(RepoPaths.ExamplesXen, "*.xen");
        Assert.True(files.Length >= 20, $"{files.Length} scripts");
        var both = files.Count(f => Parse(f).Versions.Count == 2);
        Assert.True(both >= 15, $"{both} scripts run under both versions");
    }

    [Theory]
    [InlineData("xsa-286-stale-linear-l2.xen")]
    [InlineData("xsa-279-uvm-noncanonical.xen")]
    [InlineData("xsa-213-multicall-iret.xen")]
    [InlineData("xsa-240-linear-chain.xen")]
    [InlineData("xsa-252-release-pinned.xen")]
    public void ScriptsForBugsLiveIn48ShowDifferentBehaviourThere(string file)
    {
        // The same script's expectations, checked against the other version's rules, must fail somewhere:
        // otherwise the script would not distinguish the fixed Xen from the vulnerable one.
        var text = File.ReadAllText(Path.Combine(RepoPaths.ExamplesXen, file));
        var swapped = text.Replace("[current]", "[tmp]", StringComparison.Ordinal).Replace("[4.8]", "[current]", StringComparison.Ordinal).Replace("[tmp]", "[4.8]", StringComparison.Ordinal)
            .Replace("current:", "tmp:", StringComparison.Ordinal).Replace("4.8:", "current:", StringComparison.Ordinal).Replace("tmp:", "4.8:", StringComparison.Ordinal);
        var script = XenScriptParser.Parse(file, swapped);
        var summary = XenScriptRunner.Run(script, XenVersion.Current, TextWriter.Null);
        Assert.False(summary.ToolError);
        Assert.True(summary.Failed > 0, "no expectation failed under the swapped rules");
    }

    private static XenScript Parse(string path) => XenScriptParser.Parse(path, File.ReadAllText(path));
}
