using System.CommandLine;
using PvMmu.Linux.Exit;
using PvMmu.Sim.Strategies;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>--strategy-file FILE.cs</c> (docs/strategies.md): an exit path of the user's, compiled in process and run like
/// a built-in one. Run, check and replay take one in place of <c>--strategy</c>; compare, sweep and the main job put
/// each given beside the built-ins. A file that cannot be used prints its lines (FILE:LINE:COL: ...) and exits 1.
/// </summary>
internal static class StrategyFileOption
{
    /// <summary>compare, sweep, the main job: files run beside the built-ins, the option given once per file.</summary>
    public static Option<string[]> Several() => new("--strategy-file")
    {
        Description = "A C# file with one class implementing IExitStrategy (docs/strategies.md), run beside the built-ins; may be given more than once.",
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>run, check, replay: one file, in place of --strategy.</summary>
    public static Option<string?> One() => new("--strategy-file")
    {
        Description = "A C# file with one class implementing IExitStrategy (docs/strategies.md), used instead of --strategy.",
    };

    /// <summary>The strategies of every file given, in order; null (their errors on stderr) when one cannot be used.</summary>
    public static List<IExitStrategy>? Load(IEnumerable<string>? paths, TextWriter stderr)
    {
        try
        {
            return StrategyFiles.LoadAll(paths ?? []);
        }
        catch (StrategyFileException e)
        {
            stderr.WriteLine(e.Message);
            return null;
        }
    }

    /// <summary>
    /// The one exit path of run or check: the file's if one is given (and then not <c>--strategy</c> too), else the
    /// built-in named by <c>--strategy</c>. Null, with one line on stderr, on bad input.
    /// </summary>
    public static IExitStrategy? Choose(ParseResult pr, Option<string?> file, Option<string> strategy, TextWriter stderr, string command)
    {
        if (pr.GetValue(file) is not { } path)
        {
            return ExitStrategies.Find(pr.GetValue(strategy)!);
        }

        if (pr.GetResult(strategy) is { Implicit: false })
        {
            stderr.WriteLine($"pvmmu {command}: --strategy and --strategy-file both name the exit path; give one");
            return null;
        }

        return Load([path], stderr)?[0];
    }
}
