using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using PvMmu.Cli.Commands;
using PvMmu.Sim.Inputs;

namespace PvMmu.Cli;

/// <summary>The <c>pvmmu</c> command.</summary>
public static partial class Program
{
    public static int Main(string[] args)
    {
        Signals.Install();
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Runs the command line with the given writers; the tests call this directly.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("PvMmu: an executable model of the Xen PV MMU and of the Linux guest code that drives it.\n"
            + "With no command, the main job: what xen_exit_mmap costs on a kernel-build mix and whether each exit path is\n"
            + "safe, ending in one verdict line per question (an HTML report goes to pvmmu-report/).")
        {
            XenCommand.Create(stdout, stderr),
            RunCommand.Create(stdout, stderr),
            CheckCommand.Create(stdout, stderr),
            CheckCommand.CreateReplay(stdout, stderr),
            CalibrateCommand.Create(stdout, stderr),
            CompareCommand.Create(stdout, stderr),
            SweepCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
            ValidateCommand.Create(stdout, stderr),
            NewCommand.Create(stdout, stderr),
        };
        foreach (var v in root.Options.OfType<VersionOption>())
        {
            v.Action = new VersionAction(stdout);
        }

        var strategyFiles = StrategyFileOption.Several();
        root.Options.Add(strategyFiles);
        root.SetAction(pr => StrategyFileOption.Load(pr.GetValue(strategyFiles), stderr) is { } mine
            ? DefaultJob.Run(stdout, stderr, mine: mine)
            : ExitCodes.BadInput);
        RefuseEmptyStrings(root);
        ShortHelpNames(root);
        // Exceptions come to the catch below, not to System.CommandLine's handler, which prints a stack trace.
        var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line per error, no help screen: a bad flag is bad input, exit 1.
                foreach (var e in parse.Errors)
                {
                    stderr.WriteLine("pvmmu: " + OneLine(Plain(OneLine(e.Message))));
                }

                return ExitCodes.BadInput;
            }

            return parse.Invoke(config);
        }
        catch (IOException e)
        {
            stderr.WriteLine($"pvmmu: {OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException) when (Signals.Received is { } code)
        {
            stderr.WriteLine($"pvmmu: stopped by {(code == ExitCodes.Terminated ? "SIGTERM" : "Ctrl-C")}");
            return code;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return InternalError(e, stderr);
        }
    }

    /// <summary>
    /// Bad input has its own line and exit 1 where it is read; an exception that reaches the top is the tool's fault:
    /// one line that says so and asks for a report, exit 70.
    /// </summary>
    internal static int InternalError(Exception e, TextWriter stderr)
    {
        var where = e.TargetSite is { } m ? $" (in {m.DeclaringType?.Name}.{m.Name})" : string.Empty;
        stderr.WriteLine($"pvmmu: internal error, a bug in pvmmu: {e.GetType().Name}: {OneLine(e.Message)}{where}; please report it with the command line");
        return ExitCodes.InternalError;
    }

    /// <summary>A message as one line, its quoted input cut (<see cref="Quote"/>).</summary>
    internal static string OneLine(string message)
    {
        var flat = string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return Quoted().Replace(flat, m => "'" + Quote.Cut(m.Groups[1].Value) + "'");
    }

    /// <summary>
    /// No text option or argument of any command means anything empty (paths, names, lists, durations): an empty one
    /// (<c>--cost ''</c>) is refused while parsing, in one line, rather than reaching a file API that throws.
    /// </summary>
    private static void RefuseEmptyStrings(Command command)
    {
        foreach (var o in command.Options)
        {
            // An option with checks of its own (a list of names, a duration) already says what it expected.
            if (o.ValueType == typeof(string) && o.Validators.Count == 0)
            {
                o.Validators.Add(r => RefuseEmpty(r, o.Name));
            }
        }

        foreach (var a in command.Arguments)
        {
            if ((a.ValueType == typeof(string) || a.ValueType == typeof(string[])) && a.Validators.Count == 0)
            {
                a.Validators.Add(r => RefuseEmpty(r, a.Name.ToUpperInvariant()));
            }
        }

        foreach (var c in command.Subcommands)
        {
            RefuseEmptyStrings(c);
        }
    }

    /// <summary>
    /// Metavars in help that say what goes there in a word (FILE, DIR, N, NAME) rather than repeat the option's name
    /// or list every choice, which the description already does.
    /// </summary>
    private static void ShortHelpNames(Command command)
    {
        foreach (var o in command.Options)
        {
            if (o.HelpName is not null || o.ValueType == typeof(bool))
            {
                continue;
            }

            o.HelpName = o.Name switch
            {
                "--cost" or "--scenario" or "--trace" or "--priors" or "--write" or "--out" or "--file" or "--perfetto" => "FILE",
                "--report" => "DIR",
                "--time" => "DURATION",
                "--strategies" => "NAME,...",
                "--pages" => "N|LO..HI|N,...",
                _ when o.ValueType == typeof(string) => "NAME",
                _ => "N",
            };
        }

        foreach (var c in command.Subcommands)
        {
            ShortHelpNames(c);
        }
    }

    private static void RefuseEmpty(SymbolResult r, string name)
    {
        if (r.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value)))
        {
            r.AddError($"{name}: expected a value, got an empty string");
        }
        else if (r.Tokens.Any(t => t.Value.Any(char.IsControl)))
        {
            // A path or name with a line break in it would break the one error line that echoes it.
            r.AddError($"{name}: expected a value on one line, got '{Quote.Cut(r.Tokens.First(t => t.Value.Any(char.IsControl)).Value)}', which has a control character");
        }
    }

    /// <summary>
    /// The parser's message for a value that does not convert, in the words of the other errors: "--bound: expected a
    /// whole number, got 'x'" rather than "Cannot parse argument 'x' for option '--bound' as expected type
    /// 'System.Int32'."; any other message as it is.
    /// </summary>
    internal static string Plain(string message)
    {
        var m = NotConverted().Match(message);
        if (!m.Success)
        {
            return message;
        }

        var type = m.Groups["type"].Value;
        var what = type.Contains("UInt", StringComparison.Ordinal) ? "a whole number from 0"
            : type.Contains("Int", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type;
        return $"{m.Groups["option"].Value}: expected {what}, got '{m.Groups["value"].Value}'";
    }

    [GeneratedRegex("'([^']{81,})'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.$")]
    private static partial Regex NotConverted();
}
