using PvMmu.Xen.Abi;

namespace PvMmu.Xen.Scripts.Forms;

/// <summary>
/// One request of an mmu_update batch (Xen's <c>struct mmu_update</c>): <c>FRAME[SLOT] = ENTRY</c>, with
/// <c>preserve_ad</c> or <c>no_translate</c> for those commands, <c>machphys FRAME = GPFN</c>, or <c>raw PTR VAL</c>.
/// </summary>
internal static class MmuUpdateRequestSyntax
{
    public static Func<ScriptContext, MmuUpdateRequest> Parse(string[] w, ParseScope scope)
    {
        if (w.Length == 3 && w[0] == "raw")
        {
            var ptr = ValueSyntax.ParseNumber(w[1]);
            var val = ValueSyntax.ParseNumber(w[2]);
            return _ => new MmuUpdateRequest(ptr, val);
        }

        if (w.Length == 4 && w[0] == "machphys" && w[2] == "=")
        {
            ValueSyntax.ParseFrame(w[1], scope.CheckName);
            var gpfn = ValueSyntax.ParseNumber(w[3]);
            return ctx => new MmuUpdateRequest((ValueSyntax.ParseFrame(w[1], ctx.Resolve) << 12) | (ulong)MmuUpdateCommand.MachphysUpdate, gpfn);
        }

        var cmd = MmuUpdateCommand.NormalPtUpdate;
        if (w.Length > 0 && w[0] is "preserve_ad" or "no_translate")
        {
            cmd = w[0] == "preserve_ad" ? MmuUpdateCommand.PtUpdatePreserveAd : MmuUpdateCommand.PtUpdateNoTranslate;
            w = w[1..];
        }

        if (w.Length < 3 || w[1] != "=")
        {
            throw new FormatException("expected a request: FRAME[SLOT] = ENTRY, preserve_ad FRAME[SLOT] = ENTRY, machphys FRAME = GPFN, or raw PTR VAL");
        }

        var (frame, slot) = scope.SlotOf(w[0]);
        var entry = w[2..];
        scope.CheckEntryWords(entry);
        return ctx => new MmuUpdateRequest(
            (ValueSyntax.ParseFrame(frame, ctx.Resolve) << 12) | ((ulong)slot << 3) | (ulong)cmd,
            ValueSyntax.ParseEntry(entry, ctx.Resolve));
    }
}
