using PvMmu.Xen.Abi;
using PvMmu.Xen.Cpu;
using PvMmu.Xen.Frames;
using PvMmu.Xen.Invariants;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>The checker reports each kind of broken state it is meant to catch.</summary>
public sealed class InvariantCheckerTests
{
    private static (TestMachine M, uint L4, uint L1, uint Data) Pinned()
    {
        var m = new TestMachine();
        var data = m.G(20);
        var (l4, _, _, l1) = m.BuildProcess(8, data);
        Ok(m.Ext(0, MmuExtOpRequest.Pin(4, l4)));
        return (m, l4, l1, data);
    }

    private static List<string> Check(TestMachine m) => new InvariantChecker().Check(m.H);

    [Fact]
    public void AConsistentMachineHasNoViolations() => Assert.Empty(Check(Pinned().M));

    [Fact]
    public void ALeakedGeneralReferenceIsI1()
    {
        var (m, _, _, data) = Pinned();
        m.H.Frames.GeneralCount[data]++;
        Assert.Contains(Check(m), e => e.StartsWith("I1/I4: frame " + data, StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingTypeReferenceIsI4()
    {
        var (m, _, l1, _) = Pinned();
        m.H.Frames.TypeCount[l1]--;
        Assert.Contains(Check(m), e => e.StartsWith("I4: frame " + l1, StringComparison.Ordinal));
    }

    [Fact]
    public void AWritableMappingOfAnInUseTableIsI2()
    {
        var (m, _, l1, _) = Pinned();
        m.H.WriteContents(l1, 9, E(l1, P | RW));
        Assert.Contains(Check(m), e => e.StartsWith("I2:", StringComparison.Ordinal));
    }

    [Fact]
    public void APinWithoutValidationIsI5()
    {
        var (m, l4, _, _) = Pinned();
        m.H.Frames.Clear(l4, FrameFlags.Validated);
        Assert.Contains(Check(m), e => e.StartsWith("I5:", StringComparison.Ordinal));
    }

    [Fact]
    public void AFreeFrameWithReferencesIsI6()
    {
        var (m, _, _, data) = Pinned();
        m.H.Frames.Set(data, FrameFlags.Free);
        Assert.Contains(Check(m), e => e.StartsWith("I6:", StringComparison.Ordinal));
    }

    [Fact]
    public void AWrongLinearCountIsI7()
    {
        var (m, l4, _, _) = Pinned();
        m.H.Frames.LinearPtCount[l4] = 1;
        Assert.Contains(Check(m), e => e.StartsWith("I7:", StringComparison.Ordinal));
    }

    [Fact]
    public void AWritableTlbEntryToAnInUseTableIsI8()
    {
        var (m, _, l1, _) = Pinned();
        m.H.Tlb.Insert(1, 0x5000, l1, TlbBits.Writable, m.KL4, m.KL3, m.KL2, m.KL1);
        Assert.Contains(Check(m), e => e.StartsWith("I8: vCPU 1 caches a writable translation", StringComparison.Ordinal));
    }

    [Fact]
    public void ATlbEntryThroughAFrameRetypedWritableIsI8()
    {
        var m = new TestMachine();
        var f = m.G(30);
        m.H.Tlb.Insert(0, 0x5000, m.G(31), TlbBits.None, m.KL4, m.KL3, m.KL2, f);
        Assert.Contains(Check(m), e => e.Contains("through frame " + f, StringComparison.Ordinal));
    }
}
