using static PvMmu.Xen.Scripts.XenScriptParser;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// What every form parses against: the script's file, its frame names (populate_physmap adds to them on the way) and
/// its machine. Names are checked when a statement is parsed and resolved when it runs.
/// </summary>
internal sealed class ParseScope(string file, Dictionary<string, uint> names, HypervisorConfig config)
{
    public string File { get; } = file;

    public Dictionary<string, uint> Names { get; } = names;

    public HypervisorConfig Config { get; } = config;

    public uint CheckName(string name) =>
        Names.ContainsKey(name) ? 0u : throw new FormatException($"expected a declared frame name, got '{name}' (declare it with 'frames')");

    /// <summary>
    /// A frame the machine has, which init, expect and the inspection calls index its frame table with: a declared
    /// name, or <c>mfn:N</c> below the machine's frame count. Hypercall arguments may name any 40-bit frame.
    /// </summary>
    public void CheckMachineFrame(string word)
    {
        var v = ValueSyntax.ParseFrame(word, CheckName);
        if (v >= (ulong)Config.TotalFrames)
        {
            throw new FormatException(
                $"'{word}' is not a frame of this machine (it has mfn:0 to mfn:{Num(Config.TotalFrames - 1)}); only hypercall arguments may name frames past its RAM");
        }
    }

    /// <summary>FRAME[SLOT]; <paramref name="machine"/>: the frame must be one the machine has (see <see cref="CheckMachineFrame"/>).</summary>
    public (string Frame, int Slot) SlotOf(string word, bool machine = false)
    {
        var m = ScriptPatterns.SlotRef().Match(word);
        if (!m.Success)
        {
            throw new FormatException($"expected FRAME[SLOT], e.g. l4[273], got '{word}'");
        }

        var slot = ValueSyntax.ParseInt(m.Groups[2].Value, 0, 511, "a slot");
        ValueSyntax.ParseFrame(m.Groups[1].Value, CheckName);
        if (machine)
        {
            CheckMachineFrame(m.Groups[1].Value);
        }

        return (m.Groups[1].Value, slot);
    }

    public ulong CheckEntryWords(IReadOnlyList<string> words) => ValueSyntax.ParseEntry(words, CheckName);

    /// <summary>
    /// An operation statement: its expected outcomes are checked for form now; when it runs, what
    /// <paramref name="run"/> printed is compared with the outcome expected under the running version.
    /// </summary>
    public ScriptStatement Operation(int line, string text, Func<ScriptContext, string> run, Expectation expect, OutcomeKind kind)
    {
        foreach (var e in expect.All())
        {
            Outcomes.Validate(e, kind, this);
        }

        return new ScriptStatement(line, text, false, ctx =>
        {
            var actual = run(ctx);
            var expected = expect.For(ctx.Hypervisor.Rules.Version);
            if (expected == null)
            {
                return StepResult.Ok(actual);
            }

            var why = Outcomes.Check(kind, actual, expected, ctx);
            return why == null ? StepResult.Ok(actual) : StepResult.Failed($"{actual}  (expected {expected}{(why.Length > 0 ? ": " + why : string.Empty)})");
        });
    }
}
