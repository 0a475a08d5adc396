namespace PvMmu.Xen.Scripts.Forms;

/// <summary>A form that runs one operation and prints its outcome, which a <c>-&gt;</c> may expect.</summary>
internal abstract class OperationForm : IStatementForm
{
    /// <summary>What the expected outcome is compared with.</summary>
    protected abstract OutcomeKind Outcome { get; }

    public ScriptStatement Parse(StatementWords s, ParseScope scope) =>
        scope.Operation(s.Line, s.Body, Build(s, scope), s.Expect, Outcome);

    /// <summary>The operation, its arguments checked now: it runs against the script's hypervisor and says what happened.</summary>
    protected abstract Func<ScriptContext, string> Build(StatementWords s, ParseScope scope);
}
