using System.Globalization;
using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts;

/// <summary>
/// Parses a hypercall script (docs/scenario-format.md). The whole file is parsed before anything runs, so a
/// malformed script runs nothing; errors carry the file and line. The caller reads the file (the CLI through its
/// input caps), so that the language depends on the hypervisor model alone.
/// </summary>
public static class XenScriptParser
{
    private static readonly string[] Directives = ["xen", "versions", "vcpus", "frames", "xen-frames", "foreign-frames", "free-frames", "io-frames", "writable-pagetables"];

    public static XenScript Parse(string file, string text)
    {
        var lines = text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        var guest = new List<string>();
        var xen = new List<string>();
        var foreign = new List<string>();
        var free = new List<string>();
        var io = new List<string>();
        var vcpus = 2;
        XenVersion? version = null;
        var versions = new List<XenVersion>();
        var writablePagetables = true;
        var seenOperation = false;

        // Pass 1: the machine.
        for (var i = 0; i < lines.Length; i++)
        {
            var (_, body) = StripVersionTag(Clean(lines[i]), file, i + 1);
            if (body.Length == 0)
            {
                continue;
            }

            var words = Words(body);
            var keyword = words[0].ToLowerInvariant();
            if (!Directives.Contains(keyword))
            {
                seenOperation = true;
                continue;
            }

            if (seenOperation)
            {
                throw new ScriptException(file, i + 1, $"'{keyword}' describes the machine and must come before the first operation");
            }

            try
            {
                switch (keyword)
                {
                    case "xen":
                        Need(words, 2, "xen current|4.8");
                        version = ParseVersion(words[1]);
                        break;
                    case "versions":
                        Need(words, 2, "versions current 4.8");
                        versions.AddRange(words.Skip(1).Select(ParseVersion));
                        break;
                    case "vcpus":
                        Need(words, 2, "vcpus N");
                        vcpus = ValueSyntax.ParseInt(words[1], 1, 64, "a vCPU count");
                        break;
                    case "writable-pagetables":
                        Need(words, 2, "writable-pagetables on|off");
                        writablePagetables = words[1] switch
                        {
                            "on" => true,
                            "off" => false,
                            _ => throw new FormatException($"expected on or off, got '{words[1]}'"),
                        };
                        break;
                    default:
                        Need(words, 2, keyword + " NAME...");
                        var list = keyword switch
                        {
                            "frames" => guest,
                            "xen-frames" => xen,
                            "foreign-frames" => foreign,
                            "io-frames" => io,
                            _ => free,
                        };
                        list.AddRange(words.Skip(1));
                        break;
                }
            }
            catch (FormatException e)
            {
                throw new ScriptException(file, i + 1, e.Message);
            }
        }

        var config = new HypervisorConfig
        {
            Vcpus = vcpus,
            XenFrames = 1 + xen.Count,
            GuestFrames = Math.Max(16, guest.Count),
            OtherFrames = Math.Max(1, foreign.Count),
            FreeFrames = Math.Max(2, free.Count),
            IoFrames = io.Count,
            Version = version ?? XenVersion.Current,
            WritablePagetables = writablePagetables,
        };
        var names = new Dictionary<string, uint>(StringComparer.Ordinal);
        Bind(xen, 1);
        Bind(guest, config.FirstGuestFrame);
        Bind(foreign, config.FirstOtherFrame);
        Bind(free, config.FirstFreeFrame);
        Bind(io, config.FirstIoFrame);

        // Pass 2: the statements.
        var statements = new List<ScriptStatement>();
        var parser = new StatementParser(file, names, config);
        for (var i = 0; i < lines.Length; i++)
        {
            var (tag, body) = StripVersionTag(Clean(lines[i]), file, i + 1);
            if (body.Length == 0 || Directives.Contains(Words(body)[0].ToLowerInvariant()))
            {
                continue;
            }

            var first = i;
            var block = new List<(int Line, string Text)>();
            if (IsMulticallHead(Words(body)))
            {
                // The entries follow, one per line, up to "end".
                for (i++; ; i++)
                {
                    if (i >= lines.Length)
                    {
                        throw new ScriptException(file, first + 1, "expected 'end' to close the multicall");
                    }

                    var entry = Clean(lines[i]);
                    if (entry.Length == 0)
                    {
                        continue;
                    }

                    if (Words(entry)[0] == "end")
                    {
                        block.Add((i + 1, entry));
                        break;
                    }

                    block.Add((i + 1, entry));
                }
            }

            var st = parser.Parse(first + 1, body, block);
            statements.Add(tag is { } only ? Restrict(st, only) : st);
        }

        return new XenScript
        {
            File = file,
            Config = config,
            Version = version,
            Versions = versions.Count > 0 ? versions.Distinct().ToList() : [version ?? XenVersion.Current],
            Names = names,
            Statements = statements,
        };

        void Bind(List<string> list, uint first)
        {
            for (var k = 0; k < list.Count; k++)
            {
                var name = list[k];
                if (!IsName(name))
                {
                    throw new ScriptException(file, LineOf(lines, name), $"expected a frame name (a letter, then letters, digits or _), got '{name}'");
                }

                if (!names.TryAdd(name, first + (uint)k))
                {
                    throw new ScriptException(file, LineOf(lines, name), $"frame name '{name}' is declared twice");
                }
            }
        }
    }

    /// <summary><c>multicall</c> or <c>vN multicall</c>, with its options: the line that opens a block.</summary>
    private static bool IsMulticallHead(string[] w) =>
        w[0] == "multicall" || (w.Length > 1 && w[1] == "multicall" && w[0].Length > 1 && w[0][0] == 'v' && w[0][1..].All(char.IsAsciiDigit));

    private static ScriptStatement Restrict(ScriptStatement st, XenVersion only) => st with
    {
        Run = ctx => ctx.Hypervisor.Rules.Version == only
            ? st.Run(ctx)
            : StepResult.Ok($"(only under Xen {XenRules.Name(only)})"),
    };

    private static int LineOf(string[] lines, string word)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (Words(Clean(lines[i])).Contains(word))
            {
                return i + 1;
            }
        }

        return 0;
    }

    public static bool IsName(string s) =>
        s.Length > 0 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
        && !s.StartsWith("mfn", StringComparison.OrdinalIgnoreCase);

    private static XenVersion ParseVersion(string s) =>
        XenRules.TryParse(s, out var v) ? v : throw new FormatException($"expected a Xen version (current or 4.8), got '{s}'");

    private static void Need(string[] words, int n, string form)
    {
        if (words.Length < n)
        {
            throw new FormatException($"expected '{form}'");
        }
    }

    /// <summary>A line without its comment and surrounding blanks.</summary>
    public static string Clean(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        return (hash >= 0 ? line[..hash] : line).Trim();
    }

    /// <summary>A leading <c>[current]</c> or <c>[4.8]</c> tag restricts a statement to one version.</summary>
    private static (XenVersion? Tag, string Body) StripVersionTag(string line, string file, int lineNo)
    {
        if (!line.StartsWith('['))
        {
            return (null, line);
        }

        var close = line.IndexOf(']', StringComparison.Ordinal);
        if (close < 0 || !XenRules.TryParse(line[1..close], out var v))
        {
            throw new ScriptException(file, lineNo, "expected a version tag such as [current] or [4.8] at the start of the line");
        }

        return (v, line[(close + 1)..].Trim());
    }

    public static string[] Words(string s) => s.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The number in a word, for messages.</summary>
    public static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>The text of an access outcome.</summary>
    public static string AccessText(PvMmu.Xen.Access.AccessResult r) => r switch
    {
        PvMmu.Xen.Access.AccessResult.Ok => "ok",
        PvMmu.Xen.Access.AccessResult.Emulated => "emulated",
        _ => "fault",
    };

    public static string ResultText(long rc) => Errno.Name(rc);
}
