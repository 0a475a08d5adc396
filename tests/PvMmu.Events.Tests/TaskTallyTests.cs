namespace PvMmu.Events.Tests;

/// <summary>
/// The sink's per-task view: every event goes to the task current on its vCPU when it was counted, whatever phase;
/// checked against a tally the test keeps itself, event by event.
/// </summary>
public sealed class TaskTallyTests
{
    [Fact]
    public void EachEventGoesToTheTaskCurrentOnItsVcpuAndTheTasksSumToTheSink()
    {
        const int vcpus = 3, phases = 2;
        var sink = new EventSink(vcpus, ["setup", "exit"]);
        var tasks = sink.EnableTasks();
        var ids = new[] { tasks.Idle, tasks.Register("make"), tasks.Register("cc1"), tasks.Register("kthread/1") };
        Assert.Equal(ids[1], tasks.Register("make"));
        var kinds = Enum.GetValues<EventKind>();
        var expected = new long[phases, ids.Length, vcpus, kinds.Length];
        var current = new int[vcpus];
        var rng = new Random(11);
        for (var i = 0; i < 5000; i++)
        {
            var v = rng.Next(vcpus);
            if (rng.Next(10) == 0)
            {
                current[v] = rng.Next(ids.Length);
                tasks.Switch(v, ids[current[v]]);
                continue;
            }

            var (p, k, n) = (rng.Next(phases), rng.Next(kinds.Length), rng.Next(1, 4));
            sink.Phase = p;
            if (rng.Next(2) == 0)
            {
                sink.Vcpu = v;
                sink.Add(kinds[k], n);
            }
            else
            {
                sink.Add(v, kinds[k], n);
            }

            expected[p, current[v], v, k] += n;
        }

        tasks.Sync();
        for (var p = 0; p < phases; p++)
        {
            for (var k = 0; k < kinds.Length; k++)
            {
                long overTasks = 0;
                for (var t = 0; t < ids.Length; t++)
                {
                    long task = 0;
                    for (var v = 0; v < vcpus; v++)
                    {
                        Assert.Equal(expected[p, t, v, k], tasks.Get(p, ids[t], v, kinds[k]));
                        task += expected[p, t, v, k];
                    }

                    Assert.Equal(task, tasks.InTask(p, ids[t], kinds[k]));
                    overTasks += task;
                }

                Assert.Equal(sink.InPhase(p, kinds[k]), overTasks);
            }
        }
    }

    [Fact]
    public void AResetZeroesTheTallyAndARestoreDropsWhatWasNotFolded()
    {
        var sink = new EventSink(1);
        var tasks = sink.EnableTasks();
        var p0 = tasks.Register("P0");
        tasks.Switch(0, p0);
        sink.Add(0, EventKind.PtwrEmulation, 5);
        tasks.Sync();
        var saved = sink.Clone();
        Assert.Null(saved.Tasks);

        // Counted after the copy was taken and not yet folded: gone with the restore, from the sink and the tally.
        sink.Add(0, EventKind.PtwrEmulation, 2);
        sink.CopyFrom(saved);
        sink.Add(0, EventKind.PtwrEmulation, 1);
        tasks.Sync();
        Assert.Equal(5 + 1, tasks.Get(0, p0, 0, EventKind.PtwrEmulation));
        Assert.Equal(sink.Total(EventKind.PtwrEmulation), tasks.Get(0, p0, 0, EventKind.PtwrEmulation));
        sink.Reset();
        tasks.Sync();
        Assert.Equal(0, tasks.Get(0, p0, 0, EventKind.PtwrEmulation));
        Assert.Same(tasks, sink.EnableTasks());
        Assert.Throws<ArgumentOutOfRangeException>(() => tasks.Switch(0, 99));
    }
}
