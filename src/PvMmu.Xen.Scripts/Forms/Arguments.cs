using PvMmu.Xen.Abi;
using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>Argument shapes several forms share: trailing <c>key=value</c> options, domain ids, guest lists, batches.</summary>
internal static class Arguments
{
    /// <summary>Splits trailing <c>key=value</c> options (no spaces) from the words.</summary>
    public static (List<string> Args, Dictionary<string, string> Options) SplitOptions(string[] words, params string[] allowed)
    {
        var args = new List<string>();
        var opts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            var eq = w.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && allowed.Contains(w[..eq]))
            {
                opts[w[..eq]] = w[(eq + 1)..];
            }
            else
            {
                args.Add(w);
            }
        }

        return (args, opts);
    }

    public static uint ParseDomid(string text) => text.ToLowerInvariant() switch
    {
        "self" => DomainIds.Self,
        "io" => DomainIds.Io,
        "xen" => DomainIds.Xen,
        _ => ValueSyntax.ParseNumber(text) <= uint.MaxValue ? (uint)ValueSyntax.ParseNumber(text) : throw new FormatException($"expected a domain id, got '{text}'"),
    };

    /// <summary><c>foreigndom=</c> and <c>list=</c> of a batched hypercall.</summary>
    public static (uint ForeignDom, ulong List, int Copyable) BatchOptions(Dictionary<string, string> opts)
    {
        uint fd = opts.TryGetValue("foreigndom", out var f) ? ParseDomid(f) : DomainIds.Self;
        var (list, copyable) = ListOption(opts);
        return (fd, list, copyable);
    }

    /// <summary>
    /// <c>list=bad</c>: a pointer that fails Xen's range check; <c>list=unmapped@K</c>: a list whose elements from
    /// index K on lie on a page Xen cannot read, so the copy of element K faults (see GuestHandles.AllCopyable).
    /// </summary>
    public static (ulong List, int Copyable) ListOption(Dictionary<string, string> opts)
    {
        if (!opts.TryGetValue("list", out var l))
        {
            return (GuestHandles.Valid, GuestHandles.AllCopyable);
        }

        if (l == "bad")
        {
            return (GuestHandles.Bad, GuestHandles.AllCopyable);
        }

        if (l.StartsWith("unmapped@", StringComparison.Ordinal))
        {
            return (GuestHandles.Valid, ValueSyntax.ParseInt(l[9..], 0, 4096, "the index of the first unreadable element"));
        }

        throw new FormatException($"expected list=bad or list=unmapped@K, got list={l}");
    }

    /// <summary>Items separated by <c>;</c>, each parsed by <paramref name="one"/>; <paramref name="what"/> names one in errors.</summary>
    public static List<Func<ScriptContext, T>> ParseBatch<T>(List<string> args, Func<string[], Func<ScriptContext, T>> one, string what)
    {
        var items = new List<Func<ScriptContext, T>>();
        var text = string.Join(' ', args);
        if (text.Length == 0)
        {
            return items;
        }

        foreach (var part in text.Split(';'))
        {
            var w = Words(part);
            if (w.Length == 0)
            {
                throw new FormatException($"expected a {what} between ';'");
            }

            items.Add(one(w));
        }

        return items;
    }
}
