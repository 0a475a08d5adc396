using System.CommandLine;
using Microsoft.CodeAnalysis.CSharp;
using PvMmu.Linux.Exit;

namespace PvMmu.Cli.Commands;

/// <summary>
/// <c>pvmmu new strategy NAME</c>: a strategy file to start from (docs/strategies.md), NAME.cs, that compiles and does
/// what the built-in Linux61 does, with the places to change marked. It never overwrites a file.
/// </summary>
public static class NewCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("name") { Description = "The strategy's name, a C# class name (Mine, LateUnpin, ...)." };
        var output = new Option<string?>("--out") { Description = "Where to write it (default: NAME.cs here)." };
        var strategy = new Command("strategy", "Write NAME.cs: an exit path equal to Linux61, commented, to change and try with --strategy-file.") { name, output };
        strategy.SetAction(pr =>
        {
            var n = pr.GetValue(name)!;
            if (!SyntaxFacts.IsValidIdentifier(n) || SyntaxFacts.GetKeywordKind(n) != SyntaxKind.None)
            {
                stderr.WriteLine($"pvmmu new strategy: expected a C# class name (letters, digits, _), got '{n}'");
                return ExitCodes.BadInput;
            }

            if (ExitStrategies.Find(n) is { } builtIn)
            {
                stderr.WriteLine($"pvmmu new strategy: {builtIn.Name} is a built-in strategy's name; give yours its own");
                return ExitCodes.BadInput;
            }

            var path = pr.GetValue(output) ?? n + ".cs";
            try
            {
                // CreateNew: an existing file (perhaps the user's work) is never overwritten.
                using (var w = new StreamWriter(new FileStream(path, FileMode.CreateNew, FileAccess.Write)))
                {
                    w.Write(Template(n));
                }

                stdout.WriteLine($"wrote {path}: strategy {n}, equal to Linux61 until you change it (see CHANGE); try it with");
                stdout.WriteLine($"  pvmmu compare --strategy-file {path} --strategies Linux61 --workload lazy-exit");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine(File.Exists(path) ? $"pvmmu new strategy: {path} exists; not overwritten" : $"pvmmu new strategy: cannot write {path}: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return new Command("new", "Write a file to start from.") { strategy };
    }

    /// <summary>The template with its name filled in.</summary>
    public static string Template(string name)
    {
        using var stream = typeof(NewCommand).Assembly.GetManifestResourceStream("PvMmu.Cli.Templates.strategy.template")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Replace("__NAME__", name, StringComparison.Ordinal);
    }
}
