using System.Text.RegularExpressions;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Commands;

/// <summary><c>pvmmu --version</c> names the commit the tool was built from, so that a report can say which model it came from.</summary>
public sealed class VersionTests
{
    [Fact]
    public void VersionCarriesTheCommit()
    {
        var (exit, output, _) = Run("--version");
        Assert.Equal(0, exit);
        Assert.Matches(new Regex(@"^\d+\.\d+\.\d+\+[0-9a-f]{40}\n$"), output);
    }
}
