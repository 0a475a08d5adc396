using System.Text.RegularExpressions;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>The two word shapes several forms share: a <c>vN</c> prefix and a <c>FRAME[SLOT]</c> reference.</summary>
internal static partial class ScriptPatterns
{
    [GeneratedRegex("^v([0-9]+)$")]
    public static partial Regex VcpuPrefix();

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9_]*|mfn:[0-9a-fA-Fx]+)\[([0-9a-fA-Fx]+)\]$")]
    public static partial Regex SlotRef();
}
