using System.Reflection;
using PvMmu.Cli.XenScripts;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu</c> with no arguments: the seed thread's hazard on the hypervisor model — an L4 unpinned while
/// another vCPU still has it as its base pointer — under current Xen and Xen 4.8.
/// </summary>
public static class DefaultJob
{
    public const string ResourceName = "seed-unpin-while-in-use.xen";

    public static int Run(TextWriter stdout, TextWriter stderr)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName);
        if (stream == null)
        {
            stderr.WriteLine("pvmmu: the built-in scenario is missing from this build");
            return ExitCodes.BadInput;
        }

        using var reader = new StreamReader(stream);
        var script = XenScriptParser.Parse("built-in:" + ResourceName, reader.ReadToEnd());
        stdout.WriteLine("PvMmu: unpinning an mm's L4 while another vCPU still has it loaded (the 2017 xen_exit_mmap thread).");
        stdout.WriteLine("The hypervisor model alone; the guest's side (issue 3) and costs (issue 4) build on it.");
        stdout.WriteLine();
        var exit = ExitCodes.Ok;
        foreach (var v in script.Versions)
        {
            exit = Math.Max(exit, XenScriptRunner.Run(script, v, stdout).ExitCode);
            stdout.WriteLine();
        }

        return exit;
    }
}
