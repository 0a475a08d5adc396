using PvMmu.Sim.Inputs;

namespace PvMmu.Sim.Workloads;

/// <summary>
/// The sizes of a sweep, from the command line: <c>LO..HI</c> (every power-of-two multiple of LO up to HI, HI
/// included) or a comma list; each size a count of pages with an optional k (×1024), M (×1048576) or G suffix (<see cref="Sizes"/>).
/// </summary>
public static class PageSizes
{
    public const int Max = 4 * 1024 * 1024;

    /// <summary>Parses a size list; a malformed one throws <see cref="FormatException"/> saying what was expected.</summary>
    public static IReadOnlyList<int> Parse(string text)
    {
        var t = text.Trim();
        var dots = t.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            var lo = One(t[..dots]);
            var hi = One(t[(dots + 2)..]);
            if (hi < lo)
            {
                throw new FormatException($"'{Quote.Cut(text)}': the range's end is below its start");
            }

            var list = new List<int>();
            for (long x = lo; x < hi; x *= 2)
            {
                list.Add((int)x);
            }

            list.Add(hi);
            return list;
        }

        var sizes = t.Split(',').Select(One).ToList();
        if (sizes.Distinct().Count() != sizes.Count)
        {
            throw new FormatException($"'{Quote.Cut(text)}': a size is listed twice");
        }

        return sizes;
    }

    private static int One(string s) =>
        Sizes.TryParse(s, 1, Max, out var n)
            ? (int)n
            : throw new FormatException($"'{Quote.Cut(s.Trim())}' is not a page count from 1 to 4M (a number with an optional k, M or G suffix)");
}
