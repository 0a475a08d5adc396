using System.Globalization;
using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts;

/// <summary>
/// The small expressions of the script format: numbers, error codes, page-table entries ("l1a P RW"), virtual
/// addresses ("va(273,0,0,5)") and vCPU masks. Each parser throws <see cref="FormatException"/> with what was
/// expected; the script parser adds file and line.
/// </summary>
public static class ValueSyntax
{
    public static ulong ParseNumber(string text)
    {
        var t = text.Replace("_", string.Empty, StringComparison.Ordinal);
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return hex;
        }

        if (t.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return Convert.ToUInt64(t[2..], 2);
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new FormatException($"expected a binary number, got '{text}'");
            }
        }

        if (ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var dec))
        {
            return dec;
        }

        throw new FormatException($"expected a number (decimal, 0x hex or 0b binary), got '{text}'");
    }

    public static int ParseInt(string text, int min, int max, string what)
    {
        var v = ParseNumber(text);
        if (v < (ulong)min || v > (ulong)max)
        {
            throw new FormatException($"expected {what} from {min} to {max}, got '{text}'");
        }

        return (int)v;
    }

    /// <summary>An expected hypercall result: 0, -EINVAL, or a signed decimal.</summary>
    public static long ParseResult(string text)
    {
        if (Errno.TryParse(text, out var rc))
        {
            return rc;
        }

        throw new FormatException($"expected a result such as 0, -EINVAL or -EBUSY, got '{text}'");
    }

    public static ulong FlagNamed(string name) => name.ToUpperInvariant() switch
    {
        "P" => PageFlags.Present,
        "RW" => PageFlags.Rw,
        "U" => PageFlags.User,
        "PWT" => PageFlags.Pwt,
        "PCD" => PageFlags.Pcd,
        "A" => PageFlags.Accessed,
        "D" => PageFlags.Dirty,
        "PSE" => PageFlags.Pse,
        "PAT" => PageFlags.Pat,
        "G" => PageFlags.Global,
        "GK" => PageFlags.GuestKernel,
        "GNTTAB" => PageFlags.GntTab,
        "NX" => PageFlags.Nx,
        "AVAIL" => 1UL << 9,
        _ => throw new FormatException($"expected a PTE flag (P RW U PWT PCD A D PSE PAT G GK GNTTAB NX AVAIL), got '{name}'"),
    };

    /// <summary>
    /// A page-table entry: a raw number (<c>0</c>, <c>42</c>, <c>0x…</c>), or a frame (a name or <c>mfn:N</c>)
    /// followed by flags.
    /// </summary>
    public static ulong ParseEntry(IReadOnlyList<string> words, Func<string, uint> frame)
    {
        if (words.Count == 0)
        {
            throw new FormatException("expected an entry: 0, 0x…, or a frame followed by flags (e.g. 'l1a P RW')");
        }

        if (words.Count == 1 && (char.IsAsciiDigit(words[0][0]) || words[0].StartsWith("0x", StringComparison.OrdinalIgnoreCase)))
        {
            return ParseNumber(words[0]);
        }

        var mfn = ParseFrame(words[0], frame);
        ulong flags = 0;
        for (var i = 1; i < words.Count; i++)
        {
            flags |= FlagNamed(words[i]);
        }

        return PageFlags.Entry(mfn, flags);
    }

    /// <summary>The largest frame number: x86-64 Xen's machine addresses are 52 bits (PADDR_BITS), its MFNs 40.</summary>
    public const ulong MaxMfn = PageFlags.InvalidMfn;

    /// <summary>A frame: a declared name, or <c>mfn:N</c> with N any 40-bit frame number (RAM or not).</summary>
    public static ulong ParseFrame(string word, Func<string, uint> frame)
    {
        if (word.StartsWith("mfn:", StringComparison.OrdinalIgnoreCase))
        {
            var v = ParseNumber(word[4..]);
            if (v > MaxMfn)
            {
                throw new FormatException($"expected an MFN below 2^40 (x86-64 Xen's frame numbers are 40 bits), got '{word}'");
            }

            return v;
        }

        return frame(word);
    }

    /// <summary>A virtual address: a number, or <c>va(l4,l3,l2,l1)</c> with an optional <c>+offset</c>, sign-extended.</summary>
    public static ulong ParseVa(string text)
    {
        if (!text.StartsWith("va(", StringComparison.OrdinalIgnoreCase))
        {
            return ParseNumber(text);
        }

        var close = text.IndexOf(')', StringComparison.Ordinal);
        if (close < 0)
        {
            throw new FormatException($"expected va(l4,l3,l2,l1), got '{text}'");
        }

        var parts = text[3..close].Split(',');
        if (parts.Length != 4)
        {
            throw new FormatException($"expected four table indices in '{text}'");
        }

        ulong va = 0;
        for (var i = 0; i < 4; i++)
        {
            var idx = ParseInt(parts[i].Trim(), 0, 511, "a table index");
            va |= (ulong)idx << (39 - (9 * i));
        }

        if ((va & (1UL << 47)) != 0)
        {
            va |= 0xFFFF_0000_0000_0000UL;
        }

        var rest = text[(close + 1)..];
        if (rest.Length > 0)
        {
            if (rest[0] != '+')
            {
                throw new FormatException($"expected '+offset' after va(...), got '{rest}'");
            }

            va += ParseNumber(rest[1..]);
        }

        return va;
    }

    /// <summary>A vCPU bitmap pointer and its contents: <c>bad</c> is a pointer Xen cannot read.</summary>
    public static (ulong Pointer, ulong Mask) ParseMask(string text) =>
        text.Equals("bad", StringComparison.OrdinalIgnoreCase) ? (GuestHandles.Bad, 0) : (GuestHandles.Valid, ParseNumber(text));
}
