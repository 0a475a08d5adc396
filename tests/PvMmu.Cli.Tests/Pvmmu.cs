
namespace PvMmu.Cli.Tests;

/// <summary>The <c>pvmmu</c> command run in process, its output captured: what the CLI tests drive it with.</summary>
internal static class Pvmmu
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = Program.Run(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }
}
