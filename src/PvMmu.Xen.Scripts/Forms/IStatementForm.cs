namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// One statement form of the script language (docs/scenario-format.md): how the words after its keyword become a
/// runnable statement. Errors are <see cref="FormatException"/>s saying what was expected; the statement parser adds
/// the file and line.
/// </summary>
internal interface IStatementForm
{
    ScriptStatement Parse(StatementWords s, ParseScope scope);
}
