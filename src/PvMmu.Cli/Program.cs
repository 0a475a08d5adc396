using System.CommandLine;
using PvMmu.Cli.Commands;

namespace PvMmu.Cli;

/// <summary>The <c>pvmmu</c> command.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line with the given writers; the tests call this directly.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("PvMmu: an executable model of the Xen PV MMU and of the Linux guest code that drives it.")
        {
            XenCommand.Create(stdout, stderr),
        };
        root.SetAction(_ => DefaultJob.Run(stdout, stderr));
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        try
        {
            return root.Parse(args).Invoke(config);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"pvmmu: {e.Message}");
            return ExitCodes.BadInput;
        }
    }
}
