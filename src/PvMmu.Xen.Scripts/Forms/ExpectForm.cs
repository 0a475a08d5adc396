namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// <c>expect ...</c>: a check of the hypervisor's state (frames, entries, TLBs, CR3s, modes, events, the m2p,
/// crashes, Xen's invariants), which <see cref="Assertions"/> runs; it states its own condition, so takes no
/// <c>-&gt;</c>.
/// </summary>
internal sealed class ExpectForm : IStatementForm
{
    public ScriptStatement Parse(StatementWords s, ParseScope scope) => new(s.Line, s.Body, true, Assertion(s.Args, s.HasArrow, scope));

    private static Func<ScriptContext, StepResult> Assertion(string[] w, bool hasArrow, ParseScope scope)
    {
        if (hasArrow)
        {
            throw new FormatException("an 'expect' line states its own condition; it takes no '->'");
        }

        if (w.Length == 0)
        {
            throw new FormatException("expected something to check after 'expect'");
        }

        return w[0] switch
        {
            "invariants" => Assertions.Invariants(),
            "tlb" => Assertions.Tlb(w[1..], scope.Config, scope.CheckName),
            "cr3" or "user-cr3" => Assertions.Cr3(w, scope.Config, scope.CheckName),
            "mode" => Assertions.Mode(w[1..], scope.Config),
            "events" => Assertions.Events(w[1..], scope.Config),
            "m2p" => M2pAssertion(w[1..], scope),
            "domain-crashed" or "host-crash" or "no-crash" => Assertions.Crash(w[0]),
            _ when w.Length >= 2 && w[1] is "=" or "!=" or "maps" or "!maps" => Assertions.Entry(scope.SlotOf(w[0], machine: true), w[1], w[2..], scope.CheckName),
            _ => FrameAssertion(w, scope),
        };
    }

    private static Func<ScriptContext, StepResult> M2pAssertion(string[] w, ParseScope scope)
    {
        if (w.Length > 0)
        {
            scope.CheckMachineFrame(w[0]);
        }

        return Assertions.M2p(w, scope.CheckName);
    }

    private static Func<ScriptContext, StepResult> FrameAssertion(string[] w, ParseScope scope)
    {
        scope.CheckMachineFrame(w[0]);
        return Assertions.Frame(w, scope.CheckName);
    }
}
