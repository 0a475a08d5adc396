namespace PvMmu.Sim.Inputs;

/// <summary>Input echoed in an error is cut, so that one bad value never makes a message longer than a screen line.</summary>
public static class Quote
{
    public const int MaxChars = 80;

    /// <summary>
    /// <paramref name="text"/> on one line (a line break or other control character becomes a space) and, if longer
    /// than <see cref="MaxChars"/> characters, its start and "...".
    /// </summary>
    public static string Cut(string text)
    {
        var cut = text.Length <= MaxChars ? text : string.Concat(text.AsSpan(0, MaxChars - 3), "...");
        return cut.Any(char.IsControl) ? new string([.. cut.Select(c => char.IsControl(c) ? ' ' : c)]) : cut;
    }
}
