using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The order a vCPU runs its pending IPIs in: kernel/smp.c's flush_smp_call_function_queue takes the whole
/// call_single_queue (llist_del_all) and reverses it (llist_reverse_order), so the csds run first-queued first,
/// whatever the senders' ids.
/// </summary>
public sealed class IpiOrderTests
{
    private static (Machine M, int Mm) ThreeVcpus()
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = 3, Frames = 512 });
        var mm = MmOps.CreateMm(k, 0);
        MmOps.MapAnonymous(k, mm, 0x40_0000UL, 4);
        MmOps.TouchAll(k, 0, mm);
        Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
        k.Mms.Users[mm] = 1;
        return (new Machine(k, new Linux61(), [[], [], []], [mm]), mm);
    }

    [Fact]
    public void AVcpuRunsItsPendingIpisInTheOrderTheyWereQueued()
    {
        var (m, mm) = ThreeVcpus();

        // vCPU 2's csd is queued on vCPU 0 before vCPU 1's: 2 runs first (lowest sender first would pick 1).
        m.Post(2, 0, mm);
        m.Post(1, 0, mm);
        Assert.Equal(2, m.FifoHead(0));
        var both = m.Snapshot();
        m.TakeIpi(0);
        Assert.Equal(1, m.FifoHead(0));

        // A restore brings the queue's order back with it.
        m.Restore(both);
        Assert.Equal(2, m.FifoHead(0));

        // Queued the other way round, the order is the other one.
        var (n, nmm) = ThreeVcpus();
        n.Post(1, 0, nmm);
        n.Post(2, 0, nmm);
        Assert.Equal(1, n.FifoHead(0));
    }

    [Fact]
    public void TheOrderIsStateWhileBothArePendingAndLeavesNoTraceOnceRun()
    {
        var (a, mmA) = ThreeVcpus();
        var (b, mmB) = ThreeVcpus();
        Assert.Equal(a.Fingerprint(), b.Fingerprint());
        a.Post(2, 0, mmA);
        a.Post(1, 0, mmA);
        b.Post(1, 0, mmB);
        b.Post(2, 0, mmB);
        Assert.NotEqual(a.Fingerprint(), b.Fingerprint());

        // Once both have run, the two histories end in the same state.
        a.TakeIpi(0);
        a.TakeIpi(0);
        b.TakeIpi(0);
        b.TakeIpi(0);
        Assert.Equal(a.Fingerprint(), b.Fingerprint());
    }
}
