namespace PvMmu.Sim.Inputs;

/// <summary>Input echoed in an error is cut, so that one bad value never makes a message longer than a screen line.</summary>
public static class Quote
{
    public const int MaxChars = 80;

    /// <summary><paramref name="text"/> if at most <see cref="MaxChars"/> characters, else its start and "...".</summary>
    public static string Cut(string text) =>
        text.Length <= MaxChars ? text : string.Concat(text.AsSpan(0, MaxChars - 3), "...");
}
