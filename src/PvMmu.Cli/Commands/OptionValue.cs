using System.CommandLine;
using System.CommandLine.Parsing;
using PvMmu.Sim.Inputs;

namespace PvMmu.Cli.Commands;

/// <summary>
/// An option's value as a validator reads it. A token that does not convert (<c>--bound x</c>) makes
/// <c>OptionResult.GetValueOrDefault</c> throw inside the validator, which ended the process with a stack
/// trace; here it is simply not validated, and the parser's own error for it is the one line printed.
/// </summary>
internal static class OptionValue
{
    /// <summary>
    /// Adds to <paramref name="option"/> the check that a value it converts satisfies <paramref name="valid"/>, else
    /// the one-line <paramref name="error"/>.
    /// </summary>
    public static void Require<T>(Option<T> option, Func<T, bool> valid, string error) =>
        option.Validators.Add(r =>
        {
            if (Converted(r, out T value) && !valid(value))
            {
                r.AddError(error);
            }
        });

    /// <summary>The seed every command starts from unless told otherwise (the main job's).</summary>
    public const ulong DefaultSeed = 1;

    /// <summary>A <c>--seed</c> option with the one default seed.</summary>
    public static Option<ulong> Seed(string description) => new("--seed") { Description = description, DefaultValueFactory = _ => DefaultSeed };

    /// <summary>
    /// Restricts a name option to <paramref name="names"/>, matched without regard to case (<c>--strategy linux61</c>),
    /// and gives the command the name as spelled here; anything else is the option's one-line error.
    /// </summary>
    public static void OneOf<T>(Option<T> option, params string[] names)
        where T : class?
    {
        option.CustomParser = r =>
        {
            var given = r.Tokens.Count == 0 ? string.Empty : r.Tokens[0].Value;
            var match = Array.Find(names, n => string.Equals(n, given.Trim(), StringComparison.OrdinalIgnoreCase));
            // An empty value has its own line (Program.RefuseEmpty), and only one line is printed per mistake.
            if (match is null && given.Trim().Length > 0)
            {
                r.AddError($"{option.Name}: expected one of {string.Join(", ", names)}; got '{Quote.Cut(given)}'");
            }

            return (T?)(object?)match;
        };
        option.CompletionSources.Add(names);
    }

    /// <summary>Whether the user gave <paramref name="option"/> (rather than its default applying).</summary>
    public static bool Given(ParseResult pr, Option option) => pr.GetResult(option) is { Implicit: false };

    /// <summary>
    /// The one line refusing the first of <paramref name="options"/> the user gave, when none of them applies for
    /// the reason <paramref name="why"/> (completing "has no effect ..."); null if none was given.
    /// </summary>
    public static string? NotApplicable(ParseResult pr, string command, string why, params Option[] options) =>
        options.FirstOrDefault(o => Given(pr, o)) is { } given ? $"pvmmu {command}: {given.Name} has no effect {why}" : null;

    private static bool Converted<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }
}
