namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// A statement as its form sees it: the line, its whole text, the vCPU of a <c>vN</c> prefix (0 without one), the
/// words after the keyword, the outcome after <c>-&gt;</c> (and whether there was an arrow), and for a multicall the
/// entry lines up to <c>end</c>.
/// </summary>
internal readonly record struct StatementWords(
    int Line, string Body, int Vcpu, string[] Args, Expectation Expect, bool HasArrow, List<(int Line, string Text)> Block);
