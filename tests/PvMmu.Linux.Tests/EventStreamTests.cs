using PvMmu.Events;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The one event stream: the run owns the sink and its named phases, both models count into it, a snapshot carries
/// it and a restore brings it back, and a fingerprint never sees it (counts are not state that decides what happens).
/// </summary>
public sealed class EventStreamTests
{
    private const ulong Start = 0x40_0000UL;

    [Fact]
    public void BothModelsCountIntoTheRunsSinkInThePhaseTheRunNames()
    {
        var sink = new EventSink(2, ["before", "faults"]);
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 }, sink);
        Assert.Same(sink, k.Xen.Events);
        Assert.Same(sink, k.Events);

        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, Start, 5);
        sink.Phase = sink.PhaseIndex("faults");
        MmOps.TouchAll(k, 1, mm);

        // Each of the 5 pages is one demand fault on the vCPU that touched it, in the phase the run set; the guest's
        // own work and Xen's hypercalls for it land side by side.
        Assert.Equal(5, sink.Get(1, 1, EventKind.PageFault));
        Assert.Equal(5, sink.Total(EventKind.PageFault));
        Assert.Equal(0, sink.InPhase(0, EventKind.PageFault));
        Assert.True(sink.Get(1, 1, EventKind.Hypercall) > 0);
        Assert.Equal(0, sink.ForVcpu(0, EventKind.PageFault));
    }

    [Fact]
    public void ARestoreBringsTheCountsBackAndAFingerprintNeverSeesThem()
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 2, Frames = 1024 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, Start, 8);
        var snapshot = k.Snapshot();
        var before = EventKinds.Priced.Select(e => k.Events.Total(e)).ToArray();
        var fingerprint = k.Fingerprint();

        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
        Assert.NotEqual(before, EventKinds.Priced.Select(e => k.Events.Total(e)).ToArray());

        k.Restore(snapshot);
        Assert.Equal(before, EventKinds.Priced.Select(e => k.Events.Total(e)).ToArray());
        Assert.Equal(fingerprint, k.Fingerprint());

        k.Events.Reset();
        Assert.Equal(fingerprint, k.Fingerprint());
    }

    [Fact]
    public void AWorkloadNamesItsPhasesAndAnUnknownNameIsAnError()
    {
        string[] phases = ["setup", "switch", "fork", "exec", "exit"];
        var sink = new EventSink(1, phases);
        Assert.Equal(phases.Length - 1, sink.PhaseIndex(phases[^1]));
        Assert.Throws<ArgumentException>(() => sink.PhaseIndex("no-such-phase"));
        Assert.Throws<ArgumentOutOfRangeException>(() => sink.Phase = phases.Length);
    }

    [Fact]
    public void ThePricedEventsAreExactlyTheBuiltInTablesKeysInItsOrder()
    {
        // The price keys come from the event list's attributes; default.toml, read as text here, must list the same
        // keys in the same order (the cost table prints them in event order).
        var text = File.ReadAllText(Path.Combine(RepoRoot(), "src", "PvMmu.Sim", "Costs", "default.toml"));
        var keys = text.Split('\n').SkipWhile(l => l.Trim() != "[prices_ns]").Skip(1).TakeWhile(l => !l.TrimStart().StartsWith('['))
            .Where(l => l.Contains('=', StringComparison.Ordinal)).Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)].Trim()).ToList();
        Assert.Equal(keys, EventKinds.Priced.Select(EventKinds.PriceKey));
        Assert.All(EventKinds.Tracepoints, t => Assert.StartsWith("xen_", EventKinds.TracepointKey(t), StringComparison.Ordinal));
        Assert.DoesNotContain(EventKinds.Xen, e => EventKinds.Tracepoints.Contains(e));
    }

    private static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "PvMmu.slnx")))
        {
            d = d.Parent;
        }

        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
