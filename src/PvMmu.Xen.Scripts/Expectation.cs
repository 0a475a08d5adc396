
namespace PvMmu.Xen.Scripts;

/// <summary>
/// The text after <c>-&gt;</c>: one expected outcome for every version, or one per version
/// (<c>current: 0; 4.8: -EBUSY</c>). <see cref="For"/> gives null when a version has none.
/// </summary>
public sealed class Expectation
{
    private readonly string? _all;
    private readonly Dictionary<XenVersion, string> _byVersion = [];

    private Expectation(string? all) => _all = all;

    public static Expectation None { get; } = new(null);

    public static Expectation Parse(string text)
    {
        var t = text.Trim();
        if (t.Length == 0)
        {
            throw new FormatException("expected an outcome after '->'");
        }

        if (!t.StartsWith("current:", StringComparison.OrdinalIgnoreCase) && !t.StartsWith("4.8:", StringComparison.Ordinal))
        {
            return new Expectation(t);
        }

        var e = new Expectation(null);
        foreach (var part in t.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0 || !XenRules.TryParse(part[..colon], out var v))
            {
                throw new FormatException($"expected 'current: OUTCOME; 4.8: OUTCOME', got '{part}'");
            }

            var outcome = part[(colon + 1)..].Trim();
            if (outcome.Length == 0)
            {
                throw new FormatException($"expected an outcome after '{part[..colon]}:'");
            }

            e._byVersion[v] = outcome;
        }

        return e;
    }

    public string? For(XenVersion v) => _byVersion.TryGetValue(v, out var s) ? s : _all;

    /// <summary>Every outcome text, for checking them at parse time.</summary>
    public IEnumerable<string> All()
    {
        if (_all != null)
        {
            yield return _all;
        }

        foreach (var v in _byVersion.Values)
        {
            yield return v;
        }
    }
}
