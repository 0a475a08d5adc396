using CsCheck;

namespace PvMmu.Xen.Scripts.Tests;

/// <summary>
/// Whatever text a script holds, parsing it either succeeds or fails with a <see cref="ScriptException"/> naming the
/// file and line, and running what parsed ends in a result, never another exception.
/// </summary>
public sealed class ScriptParserProperties
{
    private static readonly string[] Words =
    [
        "vcpus", "frames", "a", "b", "l4", "init", "mmu_update", "mmuext", "update_va_mapping", "multicall", "end",
        "store", "load", "xchg", "expect", "pin_l1", "pin_l4", "unpin", "new_baseptr", "a[0]", "b[511]", "a[512]", "=",
        "->", "0", "-EINVAL", "P", "RW", "PSE", "va(273,0,0,1)", "va(1,2)", "0x10", "mfn:5", "mfn:99999999999",
        "[4.8]", "[current]", "current:", "4.8:", ";", "done=1", "foreigndom=7", "multi:0b11", "multi:bad", "invlpg",
        "all", "type=l1", "tc=1", "invariants", "events", "hypercall=1", "v0", "v1", "v9", "#", "xen", "4.8", "versions",
        "populate_physmap", "as", "decrease_reservation", "iret", "syscall", "raw", "7", "tlb", "cr3", "=", "maps",
        "store4", "m2p", "!=", "!maps", "io-frames", "list=unmapped@1", "list=bad", "mfn:0xffffffffff", "mfn:0x100000001",
        "mfn:0x100000001[3]", "0xffffffff",
    ];

    private static readonly Gen<string> Line = Gen.Int[0, Words.Length - 1].Array[0, 8]
        .Select(ix => string.Join(' ', ix.Select(i => Words[i])));

    private static readonly string[] Ops =
    [
        "mmu_update", "mmuext", "update_va_mapping", "store", "xchg", "load", "expect", "init", "vcpu_initialise",
        "decrease_reservation", "populate_physmap", "iret", "syscall", "reset-events", "v1 mmuext", "expect tlb v0",
        "expect cr3 v1", "expect events v0", "expect a", "expect a[0]", "multicall\n  mmu_update", "mmu_update a[0] =",
        "mmuext pin_l1", "mmuext set_ldt", "mmuext invlpg_multi", "mmuext raw", "mmuext copy_page",
        "store4", "expect m2p", "v1 multicall\n  mmuext", "multicall list=unmapped@1\n  mmu_update", "expect a[1] !=",
        "mmuext pin_l1 mfn:0x100000002", "mmu_update mfn:0x100000001[0] =",
    ];

    private static readonly Gen<string> Script = Gen.OneOf(
        Line.Array[0, 12].Select(lines => string.Join('\n', lines)),
        Gen.Select(Gen.Int[0, Ops.Length - 1], Line).Array[1, 10]
            .Select(ops => "vcpus 2\nframes a b l4\n" + string.Join('\n', ops.Select(o => Ops[o.Item1] + " " + o.Item2))));

    [Trait("Category", "Slow")]
    [Fact]
    public void AnyTextParsesOrFailsWithFileAndLine() => Script.Sample(text =>
    {
        XenScript? script = null;
        try
        {
            script = XenScriptParser.Parse("fuzz.xen", text);
        }
        catch (ScriptException e)
        {
            Assert.StartsWith("fuzz.xen:", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }

        if (script != null)
        {
            var summary = XenScriptRunner.Run(script, script.Version ?? XenVersion.Current, TextWriter.Null);
            Assert.InRange(summary.Operations + summary.Assertions, 0, script.Statements.Count);
        }
    }, iter: 50_000, print: t => "[" + t.Replace("\n", " | ", StringComparison.Ordinal) + "]");
}
