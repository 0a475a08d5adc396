using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using PvMmu.Linux.Invariants;
using PvMmu.Xen.Invariants;

namespace PvMmu.Explore.Checks;

/// <summary>
/// A violation as a reader sees it: one state can break an invariant at dozens of places (every entry of a failed
/// batch), which <see cref="ScheduleCheck"/> joins with "; " into one line of a thousand characters. Here the list is
/// cut after its first few items ("..., and 7 more"), and each invariant it names (G1–G5, I1–I8) is given its
/// meaning on a line of its own. The full text stays in the replay file and the JSON.
/// </summary>
public static partial class ViolationText
{
    /// <summary>How many items of a violation's list are shown before the rest is counted.</summary>
    public const int Shown = 3;

    private const string Separator = "; ";

    /// <summary>The violation with its list cut after <see cref="Shown"/> items (when that leaves at least two out).</summary>
    public static string Cut(string violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        var items = violation.Split(Separator);
        if (items.Length <= Shown + 1)
        {
            return violation;
        }

        var more = (items.Length - Shown).ToString(CultureInfo.InvariantCulture);
        return string.Join(Separator, items.Take(Shown)) + $"{Separator}..., and {more} more";
    }

    /// <summary>The invariants the violation names, in the order it first names them (all items, not only those shown).</summary>
    public static IReadOnlyList<string> Invariants(string violation)
    {
        ArgumentNullException.ThrowIfNull(violation);
        var found = new List<string>();
        foreach (var item in violation.Split(Separator))
        {
            var m = Label().Match(item);
            if (!m.Success)
            {
                continue;
            }

            foreach (var id in m.Groups["ids"].Value.Split('/'))
            {
                if (!found.Contains(id) && Meaning(id) != null)
                {
                    found.Add(id);
                }
            }
        }

        return found;
    }

    /// <summary>"G3 stale xen_current_cr3: ..." for an invariant's label; null for one neither checker reports.</summary>
    public static string? Meaning(string id) =>
        GuestInvariants.Meanings.TryGetValue(id, out var g) ? $"{id} {g}"
        : HypervisorInvariants.Meanings.TryGetValue(id, out var h) ? $"{id} {h}"
        : null;

    /// <summary>
    /// <c>{indent}violation: {cut}</c>, then one line for each invariant it names, indented by as much, each line
    /// ending in a newline.
    /// </summary>
    public static string Lines(string violation, string indent)
    {
        var sb = new StringBuilder();
        sb.Append(indent).Append("violation: ").Append(Cut(violation)).Append('\n');
        foreach (var id in Invariants(violation))
        {
            sb.Append(indent).Append(Meaning(id)).Append('\n');
        }

        return sb.ToString();
    }

    // An item's label, after what ScheduleCheck puts before it: "at the end: " (the list's first item), "xen: ".
    [GeneratedRegex(@"^(?:at the end: )?(?:xen: )?(?<ids>[GI][0-9](?:/[GI][0-9])*):")]
    private static partial Regex Label();
}
