using System.Globalization;
using CsCheck;
using PvMmu.Explore.Counterexamples;
using PvMmu.Sim.Costs;
using PvMmu.Sim.Validation;
using PvMmu.Sim.Workloads;
using PvMmu.Xen.Scripts;
using static PvMmu.Cli.Tests.Pvmmu;

namespace PvMmu.Cli.Tests.Robustness;

/// <summary>
/// Fuzzing kept in the suite, CsCheck-driven with a fixed budget (SharpFuzz needs an instrumented build and an AFL
/// or libFuzzer driver outside the test run; docs/reliability.md). Files: the committed corpus (Robustness/Corpus: a
/// workload and a check scenario, a cost table, a hypercall script, a replay file, a capture) mutated by deletions,
/// insertions of syntax-laden tokens, duplicated, swapped and truncated lines; each parser must accept the text or
/// refuse it with its own one-line exception, never another. Command lines: every command with a flag set to values
/// at and past its range; the exit must be 0, 1, 2 or 3, and on 1 exactly one line on stderr. The budget can be
/// raised with PVMMU_FUZZ_ITER (a multiple of the default) for a longer run.
/// </summary>
public sealed class FuzzTests
{
    public const int FileInputs = 20_000;

    public const int CommandLines = 300;

    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("PVMMU_FUZZ_ITER"), NumberStyles.None, CultureInfo.InvariantCulture, out var k) && k > 0 ? k : 1;

    private static readonly string CorpusDir = Path.Combine(RepoPaths.Root, "tests", "PvMmu.Cli.Tests", "Robustness", "Corpus");

    private static readonly (string Name, string Text)[] Corpus =
        [.. Directory.GetFiles(CorpusDir).Order(StringComparer.Ordinal).Select(p => (Path.GetFileName(p), File.ReadAllText(p)))];

    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", ":", ",", "\"", "'", "#", "=", "\n", "\t", " ", "-", "0", "-1", "4294967296", "1e308", "nan",
        "inf", "0x", "0xffffffffffffffff", "&a", "*a", "!!binary", "---", "...", "|", ">", "null", "true", "[[", "{{",
        "\\u0000", "\u00e9", "\uFEFF", "a: b", "- ", "vcpus", "exit", "fork", "pages", "start", "schedule", "v9 step",
        "v0 step/200", "prices_ns", "frames", "mmu_update", "multicall", "workloads", "phases",
    ];

    /// <summary>The mutations' seed: the same inputs on every run, so the suite's budget is a fixed set of inputs.</summary>
    private const int Seed = 20_171_207;

    [Fact]
    public void TheCorpusCoversEveryParser()
    {
        // One seed per reader at least, and each one valid as committed: mutations start from real inputs.
        foreach (var ext in new[] { ".yaml", ".toml", ".xen", ".json" })
        {
            Assert.Contains(Corpus, c => c.Name.EndsWith(ext, StringComparison.Ordinal));
        }

        foreach (var (name, text) in Corpus)
        {
            Assert.Null(Parse(name, text));
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void MutatedFilesParseOrFailWithTheirOwnOneLineError()
    {
        // A seeded generator rather than CsCheck's own seeding, which differs run to run: the suite tries the same
        // inputs every time (a longer run, PVMMU_FUZZ_ITER, extends the same sequence), and every crash is counted.
        var random = new Random(Seed);
        var crashes = new List<string>();
        var tried = FileInputs * Scale;
        for (var i = 0; i < tried; i++)
        {
            var (name, text) = Corpus[random.Next(Corpus.Length)];
            var mutations = new (int Op, double At, int Length, int Token)[random.Next(1, 5)];
            for (var m = 0; m < mutations.Length; m++)
            {
                mutations[m] = (random.Next(6), random.NextDouble(), random.Next(1, 65), random.Next(Tokens.Length));
            }

            var mutated = mutations.Aggregate(text, Apply);
            try
            {
                if (Parse(name, mutated) is { } message && message.Contains('\n', StringComparison.Ordinal))
                {
                    crashes.Add($"input {i}, {name}: a refusal of more than one line: {message}");
                }
            }
            catch (Exception e)
            {
                crashes.Add($"input {i}, {name}: {e.GetType().Name}: {e.Message} [{mutated.Replace("\n", " | ", StringComparison.Ordinal)}]");
            }
        }

        Assert.True(crashes.Count == 0, $"{crashes.Count} of {tried} inputs crashed a parser; the first: {string.Join("\n", crashes.Take(3))}");
    }

    /// <summary>The parser's refusal (null when the text parses); any exception but the parser's own fails the test.</summary>
    private static string? Parse(string name, string text)
    {
        try
        {
            switch (Path.GetExtension(name))
            {
                case ".yaml":
                    WorkloadFile.Parse(text, "fuzz.yaml");
                    break;
                case ".toml":
                    CostTable.Parse(text, "fuzz.toml", null);
                    break;
                case ".xen":
                    XenScriptParser.Parse("fuzz.xen", text);
                    break;
                case ".json" when name.StartsWith("capture", StringComparison.Ordinal):
                    RealCapture.Parse(text, "fuzz.json");
                    break;
                default:
                    ReplayFile.Parse(text);
                    break;
            }

            return null;
        }
        catch (Exception e) when (e is ScenarioException or CostTableException or ScriptException or InvalidDataException or FormatException)
        {
            return e.Message;
        }
    }

    private static string Apply(string text, (int Op, double At, int Length, int Token) m)
    {
        var at = (int)(m.At * text.Length);
        var lines = text.Split('\n');
        var line = Math.Min((int)(m.At * lines.Length), lines.Length - 1);
        return m.Op switch
        {
            0 => text.Remove(at, Math.Min(m.Length, text.Length - at)),
            1 => text.Insert(at, Tokens[m.Token]),
            2 => string.Join('\n', lines.Take(line + 1).Concat(lines.Skip(line))),
            3 => text[..at],
            4 => string.Join('\n', lines.Select((l, i) => i == line ? lines[(line + m.Length) % lines.Length] : i == (line + m.Length) % lines.Length ? lines[line] : l)),
            _ => text.Insert(at, string.Concat(Enumerable.Repeat(Tokens[m.Token], m.Length))),
        };
    }

    /// <summary>Each command with the base flags that keep it quick, and the flags the fuzzer sets.</summary>
    private static readonly (string[] Base, string[] Flags)[] Commands =
    [
        (["run", "--workload", "lazy-exit"], ["--vcpus", "--pages", "--seed", "--xen", "--strategy", "--workload", "--cost", "--scenario"]),
        (["compare", "--workload", "lat-proc-fork", "--vcpus", "1"], ["--pages", "--strategies", "--seed", "--xen", "--cost"]),
        (["sweep", "--pages", "1k"], ["--vcpus", "--strategies", "--seed", "--workload", "--pages"]),
        (["check", "--search", "random", "--schedules", "20", "--bound", "60"], ["--vcpus", "--bound", "--seed", "--pct-depth", "--time", "--scenario", "--xen", "--strategy", "--schedules", "--max-states", "--por", "--preemptions", "--reach"]),
        (["calibrate"], ["--priors"]),
        (["validate"], ["--file"]),
        (["replay"], []),
        (["xen", "run"], []),
    ];

    /// <summary>Values at and past the ranges: the tops that work, one past them, signs, overflow, junk, paths.</summary>
    private static readonly string[] Values =
    [
        "0", "1", "2", "3", "16", "17", "64", "65", "-1", "4k", "4M", "4194305", "5G", "99999999999999999999", "1e3",
        "1.5", "nan", "inf", "", " ", "x", "LINUX61", "xsa-401", "4.8", "pre-xsa-401", "60s", "0s", "-", "/dev/zero", "/",
        "/nonexistent/f.yaml", "f.yaml", new string('z', 300), "a\nb", "Linux61,Linux61", "Linux61,,NoExitUnpin",
    ];

    [Trait("Category", "Slow")]
    [Fact]
    public void EveryCommandEndsInADocumentedExitWithOneLineOnBadInput() =>
        Gen.Select(Gen.Int[0, Commands.Length - 1], Gen.Int[0, 12], Gen.Int[0, Values.Length - 1]).Sample(c =>
        {
            var args = Args(c);
            var (exit, _, err) = Run(args);
            Assert.True(exit is >= 0 and <= 3, $"exit {exit}: {err}");
            if (exit == ExitCodes.BadInput)
            {
                var line = Assert.Single(err.TrimEnd('\n').Split('\n'));
                Assert.StartsWith("pvmmu", line, StringComparison.Ordinal);
            }
        }, iter: CommandLines * Scale, threads: 1, print: c => string.Join(' ', Args(c).Select(a => "'" + a + "'")));

    private static string[] Args((int Command, int Flag, int Value) c)
    {
        var (b, flags) = Commands[c.Command];
        var value = Values[c.Value];
        return flags.Length == 0 ? [.. b, value] : [.. b, flags[c.Flag % flags.Length], value];
    }
}
