using System.Globalization;

namespace PvMmu.Sim.Inputs;

/// <summary>
/// A count of pages or bytes as users type it: a whole number with an optional binary suffix, k (×1024), M (×2^20),
/// G (×2^30) or T (×2^40), in either case (4k, 1M, 2g). Overflow and values outside the range are refused, never
/// wrapped.
/// </summary>
public static class Sizes
{
    /// <summary>The value of <paramref name="text"/> if it is a size from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static bool TryParse(string text, long min, long max, out long value)
    {
        value = 0;
        var t = text.Trim();
        if (t.Length == 0)
        {
            return false;
        }

        var shift = char.ToLowerInvariant(t[^1]) switch
        {
            'k' => 10,
            'm' => 20,
            'g' => 30,
            't' => 40,
            _ => 0,
        };
        if (shift > 0)
        {
            t = t[..^1];
        }

        if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue >> shift)
        {
            return false;
        }

        value = n << shift;
        return value >= min && value <= max;
    }

    /// <summary>A size the way <see cref="TryParse"/> reads it: the largest exact suffix (4096 → 4k, 16777216 → 16M).</summary>
    public static string Format(long n)
    {
        string[] suffixes = ["", "k", "M", "G", "T"];
        var i = 0;
        while (i < suffixes.Length - 1 && n != 0 && n % 1024 == 0)
        {
            n /= 1024;
            i++;
        }

        return n.ToString(CultureInfo.InvariantCulture) + suffixes[i];
    }
}
