using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// The arguments of update_va_mapping (do_update_va_mapping): <c>VA = ENTRY</c>, the flush type and scope words,
/// <c>multi:MASK</c>, and <c>otherdomain=</c> for update_va_mapping_otherdomain.
/// </summary>
internal static class UvmArguments
{
    private static readonly HashSet<string> Keywords = ["none", "tlb_flush", "invlpg", "local", "all"];

    public static (ulong Va, string[] Entry, ulong Flags, ulong Mask, ushort? Other) Parse(string[] w, ParseScope scope)
    {
        var (args, opts) = Arguments.SplitOptions(w, "otherdomain");
        if (args.Count < 3 || args[1] != "=")
        {
            throw new FormatException("expected 'update_va_mapping VA = ENTRY [none|tlb_flush|invlpg] [local|all|multi:MASK]'");
        }

        var va = ValueSyntax.ParseVa(args[0]);
        var entry = new List<string>();
        ulong type = 0;
        ulong flushScope = 0;
        ulong mask = 0;
        foreach (var word in args.Skip(2))
        {
            if (Keywords.Contains(word))
            {
                switch (word)
                {
                    case "none":
                        type = UvmFlags.None;
                        break;
                    case "tlb_flush":
                        type = UvmFlags.TlbFlush;
                        break;
                    case "invlpg":
                        type = UvmFlags.Invlpg;
                        break;
                    case "local":
                        flushScope = UvmFlags.Local;
                        break;
                    default:
                        flushScope = UvmFlags.All;
                        break;
                }
            }
            else if (word.StartsWith("multi:", StringComparison.Ordinal))
            {
                (flushScope, mask) = ValueSyntax.ParseMask(word[6..]);
            }
            else
            {
                entry.Add(word);
            }
        }

        scope.CheckEntryWords(entry);
        ushort? other = opts.TryGetValue("otherdomain", out var o) ? (ushort)Arguments.ParseDomid(o) : null;
        return (va, entry.ToArray(), type | flushScope, mask, other);
    }
}
