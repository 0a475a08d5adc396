using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// An operation's expected outcome: checked for form when the script is parsed (so a malformed one runs nothing) and
/// against what the operation printed when it runs.
/// </summary>
internal static class Outcomes
{
    /// <summary>Throws when <paramref name="expected"/> is not an outcome of <paramref name="kind"/>.</summary>
    public static void Validate(string expected, OutcomeKind kind, ParseScope scope)
    {
        switch (kind)
        {
            case OutcomeKind.Rc or OutcomeKind.RcDone:
            {
                var w = Words(expected);
                ValueSyntax.ParseResult(w[0]);
                if (w.Length > 1 && (kind != OutcomeKind.RcDone || w.Length > 2 || !w[1].StartsWith("done=", StringComparison.Ordinal)))
                {
                    throw new FormatException($"expected a result (and for a batch, done=N), got '{expected}'");
                }

                if (w.Length == 2)
                {
                    ValueSyntax.ParseNumber(w[1][5..]);
                }

                break;
            }

            case OutcomeKind.Entry when expected != "fault":
                ValueSyntax.ParseEntry(Words(expected), scope.CheckName);
                break;
            case OutcomeKind.None:
                throw new FormatException("this operation has no outcome to expect");
        }
    }

    /// <summary>Null when <paramref name="actual"/> meets <paramref name="expected"/>, else the reason (empty: none to add).</summary>
    public static string? Check(OutcomeKind kind, string actual, string expected, ScriptContext ctx) => kind switch
    {
        OutcomeKind.Rc => Words(actual)[0] == ResultText(ValueSyntax.ParseResult(expected)) ? null : string.Empty,
        OutcomeKind.RcDone => CheckRcDone(actual, expected),
        OutcomeKind.Word => Words(actual)[0] == expected.Trim() ? null : string.Empty,
        OutcomeKind.Entry => CheckEntry(actual, expected, ctx),
        _ => null,
    };

    private static string? CheckRcDone(string actual, string expected)
    {
        var a = Words(actual);
        var e = Words(expected);
        if (a[0] != ResultText(ValueSyntax.ParseResult(e[0])))
        {
            return string.Empty;
        }

        return e.Length == 2 && a[1] != "done=" + Num((long)ValueSyntax.ParseNumber(e[1][5..])) ? string.Empty : null;
    }

    private static string? CheckEntry(string actual, string expected, ScriptContext ctx)
    {
        if (expected == "fault" || actual == "fault")
        {
            return actual == expected ? null : string.Empty;
        }

        var want = ValueSyntax.ParseEntry(Words(expected), ctx.Resolve);
        return ValueSyntax.ParseNumber(Words(actual)[0]) == want ? null : string.Empty;
    }
}
