using System.CommandLine;
using System.CommandLine.Parsing;

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
