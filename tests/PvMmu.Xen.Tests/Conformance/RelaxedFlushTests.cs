using PvMmu.Events;
using PvMmu.Xen.Abi;
using static PvMmu.Xen.Tests.TestMachine;

namespace PvMmu.Xen.Tests.Conformance;

/// <summary>
/// The flush after an L2/L3/L4 update (do_mmu_update's flush_linear_pt), as XSA-286 (16a20963b3) made it and as
/// edcfce5591 relaxed it for two months of 2021 (reverted by cb199cc7de). The expectations are Xen's conditions
/// worked by hand: current sets flush_linear_pt after every successful mod_lN_entry; the relaxed code set it only
/// when the table's type_info count, read while do_mmu_update holds its page_lock (page_lock adds 1 to that count),
/// exceeded 1 + PGT_pinned.
/// </summary>
public sealed class RelaxedFlushTests
{
    /// <summary>
    /// The decision table, 32/64-bit × L2/L3/L4 × rules, from the two commits' conditions worked by hand (counts
    /// without the lock, which adds 1). edcfce5591 alone: flush iff count + 1 &gt; 1 + pinned, at every level and
    /// width; so count 1 pinned (the free-floating table) is 2 vs 2, no flush, and count 1 unpinned is 2 vs 1, flush.
    /// Both commits (<see cref="XenRules.RelaxedFlush"/>): the same, and never for an L3 of a 32-bit domain
    /// (bed7e6cad3's <c>!is_pv_32bit_domain(pt_owner)</c> on the L3 case only). A 32-bit guest's top L3, pinned and in
    /// one compat L4 per vCPU, has count 3 with 2 vCPUs: edcfce5591 flushes it, both commits do not.
    /// </summary>
    [Theory]
    [InlineData(2, false, 1u, true, false, false)]
    [InlineData(2, true, 1u, true, false, false)]
    [InlineData(3, false, 1u, true, false, false)]
    [InlineData(3, true, 1u, true, false, false)]
    [InlineData(4, false, 1u, true, false, false)]
    [InlineData(4, true, 1u, true, false, false)]
    [InlineData(2, false, 1u, false, true, true)]
    [InlineData(2, true, 1u, false, true, true)]
    [InlineData(3, false, 1u, false, true, true)]
    [InlineData(3, true, 1u, false, true, false)]
    [InlineData(4, false, 1u, false, true, true)]
    [InlineData(4, true, 1u, false, true, true)]
    [InlineData(2, false, 2u, true, true, true)]
    [InlineData(2, true, 2u, true, true, true)]
    [InlineData(3, false, 2u, true, true, true)]
    [InlineData(3, true, 2u, true, true, false)]
    [InlineData(3, true, 3u, true, true, false)]
    [InlineData(4, false, 2u, true, true, true)]
    [InlineData(4, true, 2u, true, true, true)]
    [InlineData(2, false, 3u, true, true, true)]
    public void FlushDecisionFollowsXensCondition(int level, bool pv32, uint count, bool pinned, bool edcfceFlushes, bool bothFlush)
    {
        // Since XSA-286 every successful upper update flushes.
        Assert.True(XenRules.Current.UpperUpdateNeedsFlush(level, count, pinned, pv32));
        Assert.Equal(edcfceFlushes, EdcfceOnly.UpperUpdateNeedsFlush(level, count, pinned, pv32));
        Assert.Equal(bothFlush, XenRules.RelaxedFlush.UpperUpdateNeedsFlush(level, count, pinned, pv32));

        // Xen 4.8 predates XSA-286: no flush after an upper update at all.
        Assert.False(XenRules.Xen48.UpperUpdateNeedsFlush(level, count, pinned, pv32));
    }

    /// <summary>edcfce5591 without bed7e6cad3: what the xen-devel thread of May 2021 showed harmless on its own.</summary>
    private static XenRules EdcfceOnly => XenRules.Current with { SkipFlushForFreeFloating = true };

    /// <summary>A pinned L2 hooked nowhere ("free floating"): current Xen flushes every dirty CPU after changing it, the relaxed rule none.</summary>
    [Fact]
    public void FreeFloatingPinnedL2IsNotFlushedOnlyUnderTheRelaxedRule()
    {
        foreach (var (rules, flushes) in new[] { (XenRules.Current, true), (XenRules.RelaxedFlush, false) })
        {
            var m = new TestMachine(rules: rules);
            uint l2 = m.G(8), l1a = m.G(9), l1b = m.G(10);
            m.Poke(l2, 0, E(l1a, P | RW | U));
            m.MakeRo(l2, l1a, l1b);
            Ok(m.Ext(0, MmuExtOpRequest.Pin(2, l2)));
            Assert.Equal(1u, m.F(l2).TypeCount);
            m.H.Events.Reset();

            Ok(m.Mmu(0, MmuUpdateRequest.Normal(l2, 0, E(l1b, P | RW | U))));
            Assert.Equal(flushes ? 1 : 0, m.Count(EventKind.LocalFlush));
            Assert.Equal(flushes ? 1 : 0, m.Count(EventKind.RemoteFlush));
            m.AssertInvariants();
        }
    }

    /// <summary>The same L2 hooked into a pinned L3 (type count 2 with the pin): both rules flush.</summary>
    [Fact]
    public void HookedPinnedL2IsFlushedUnderBothRules()
    {
        foreach (var rules in new[] { XenRules.Current, XenRules.RelaxedFlush })
        {
            var m = new TestMachine(rules: rules);
            uint l3 = m.G(7), l2 = m.G(8), l1a = m.G(9), l1b = m.G(10);
            m.Poke(l3, 0, E(l2, P | RW | U));
            m.Poke(l2, 0, E(l1a, P | RW | U));
            m.MakeRo(l3, l2, l1a, l1b);
            Ok(m.Ext(0, MmuExtOpRequest.Pin(2, l2), MmuExtOpRequest.Pin(3, l3)));
            Assert.Equal(2u, m.F(l2).TypeCount);
            m.H.Events.Reset();

            Ok(m.Mmu(0, MmuUpdateRequest.Normal(l2, 0, E(l1b, P | RW | U))));
            Assert.Equal(1, m.Count(EventKind.LocalFlush));
            Assert.Equal(1, m.Count(EventKind.RemoteFlush));
        }
    }
}
