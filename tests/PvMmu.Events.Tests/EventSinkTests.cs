namespace PvMmu.Events.Tests;

/// <summary>The one sink every count is a view of: a cell per phase × vCPU × event kind, phases named by the run.</summary>
public sealed class EventSinkTests
{
    [Fact]
    public void EachAddLandsInItsOwnPhaseAndVcpuAndTheViewsSumThem()
    {
        var sink = new EventSink(3, ["setup", "fork", "exit"]);
        var kinds = Enum.GetValues<EventKind>();
        var expected = new long[3, 3, kinds.Length];
        var rng = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var (p, v, k, n) = (rng.Next(3), rng.Next(3), rng.Next(kinds.Length), rng.Next(1, 5));
            sink.Phase = p;
            sink.Vcpu = v;
            sink.Add(kinds[k], n);
            expected[p, v, k] += n;
        }

        for (var k = 0; k < kinds.Length; k++)
        {
            long total = 0;
            for (var p = 0; p < 3; p++)
            {
                long inPhase = 0;
                for (var v = 0; v < 3; v++)
                {
                    Assert.Equal(expected[p, v, k], sink.Get(p, v, kinds[k]));
                    inPhase += expected[p, v, k];
                }

                Assert.Equal(inPhase, sink.InPhase(p, kinds[k]));
                total += inPhase;
            }

            Assert.Equal(total, sink.Total(kinds[k]));
        }
    }

    [Fact]
    public void PhasesAreTheRunsNamesAndACloneIsIndependent()
    {
        var sink = new EventSink(2, ["setup", "munmap"]);
        Assert.Equal(1, sink.PhaseIndex("munmap"));
        sink.Phase = sink.PhaseIndex("munmap");
        sink.Add(1, EventKind.PtwrEmulation, 4);
        var copy = sink.Clone();
        Assert.True(copy.SameCounts(sink));
        sink.Add(1, EventKind.PtwrEmulation);
        Assert.False(copy.SameCounts(sink));
        Assert.Equal(4, copy.Get(1, 1, EventKind.PtwrEmulation));
        Assert.Equal(5, sink.ForVcpu(1, EventKind.PtwrEmulation));
        sink.Reset();
        Assert.Equal(0, sink.Total(EventKind.PtwrEmulation));
    }

    [Fact]
    public void AddingAnEventAllocatesNothing()
    {
        var sink = new EventSink(2, ["setup", "exit"]);
        sink.Add(EventKind.PtwrEmulation);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            sink.Add(i & 1, EventKind.PtwrEmulation);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(100_001, sink.Total(EventKind.PtwrEmulation));
    }
}
