using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace PvMmu.Cli;

/// <summary>
/// <c>pvmmu --version</c>: the tool's informational version, which the SDK ends with the commit it was built from
/// (1.0.0+COMMIT). Read from pvmmu's own assembly, not the entry one, so the same line comes in process (tests).
/// </summary>
internal sealed class VersionAction(TextWriter stdout) : SynchronousCommandLineAction
{
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public override int Invoke(ParseResult parseResult)
    {
        stdout.WriteLine(Version);
        return ExitCodes.Ok;
    }
}
