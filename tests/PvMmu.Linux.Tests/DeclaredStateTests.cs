using System.Reflection;
using PvMmu.Linux.Boot;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Mm;
using PvMmu.Linux.Pvops;
using PvMmu.Linux.Sched;
using PvMmu.Scheduling;

namespace PvMmu.Linux.Tests;

/// <summary>
/// The machine's explored state is declared once (<see cref="Machine.DeclaredState"/>); snapshot, restore and the
/// fingerprint walk that declaration. A field left out of it would merge distinct states and make the search unsound.
/// </summary>
public sealed class DeclaredStateTests
{
    /// <summary>Flips each element of each declared array in turn: the fingerprint changes, and a restore brings it back.</summary>
    [Fact]
    public void FlippingAnyFieldChangesTheFingerprintAndARestoreUndoesIt()
    {
        var m = LazyExit(3);

        // Somewhere in the middle of the race, so that the arrays hold more than their starting values.
        for (var i = 0; i < 7; i++)
        {
            m.Apply(m.Enabled()[0]);
        }

        var snapshot = m.Snapshot();
        var original = m.Fingerprint();
        var flipped = 0;
        foreach (var array in m.DeclaredState)
        {
            for (var i = 0; i < array.Length; i++)
            {
                var was = array.GetValue(i)!;
                array.SetValue(Flip(was), i);
                Assert.NotEqual(original, m.Fingerprint());
                m.Restore(snapshot);
                Assert.Equal(was, array.GetValue(i));
                Assert.Equal(original, m.Fingerprint());
                flipped++;
            }
        }

        Assert.True(flipped > 20, $"only {flipped} fields flipped");
    }

    /// <summary>
    /// Every array the machine keeps per vCPU is in the declaration, found by reflection: a field added to the
    /// machine but not to the declaration fails here. The ones left out are not state (the programs, the scratch of
    /// enabled moves, the per-task view's cache of task ids, which only <c>pvmmu run</c> has) or are fingerprinted
    /// apart (the gather lists).
    /// </summary>
    /// <remarks>
    /// The unordered walks' visited sets (<c>_walkSeen</c>, <c>--symmetry on</c>) are state only with the walks
    /// unordered, and declared from then on; the exact model never writes them.
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryArrayFieldOfTheMachineIsDeclared(bool unordered)
    {
        var m = LazyExit(2);
        if (unordered)
        {
            m.UseUnorderedWalks();
        }

        var declared = m.DeclaredState.Cast<object>().ToHashSet(ReferenceEqualityComparer.Instance);
        string[] notState = ["_choices", "_programs", "_ints", "_masks", "_bools", "_gather", "_processTask", "_kthreadTask", .. unordered ? Array.Empty<string>() : ["_walkSeen"]];
        foreach (var f in typeof(Machine).GetFields(BindingFlags.Instance | BindingFlags.NonPublic))
        {
            if (!f.FieldType.IsArray || notState.Contains(f.Name))
            {
                continue;
            }

            Assert.True(declared.Contains(f.GetValue(m)!), $"Machine.{f.Name} is not in the declared state");
        }
    }

    /// <summary>
    /// The seed thread's race, as the explorer's lazy-exit scenario sets it up: P0 ran on every vCPU, whose kernel
    /// threads keep its mm lazily; P0 exits on vCPU 0 while the others schedule freely among a kernel thread, P1 and
    /// halt.
    /// </summary>
    private static Machine LazyExit(int vcpus)
    {
        var k = Kernel.Boot(new KernelConfig { Vcpus = vcpus, Frames = 512 });
        var procs = new int[8];
        for (var p = 0; p < 2; p++)
        {
            var mm = MmOps.CreateMm(k, 0);
            MmOps.MapAnonymous(k, mm, 0x40_0000UL, 8);
            MmOps.TouchAll(k, 0, mm);
            Pinning.PgdPin(k, 0, k.Mms.Pgd[mm]);
            k.Mms.Users[mm] = 1;
            procs[p] = mm;
        }

        Op run0 = new(OpKind.Run, 0), free = new(OpKind.Schedule, 1);
        var setup = new Op[vcpus][];
        var race = new Op[vcpus][];
        setup[0] = [run0];
        race[0] = [new(OpKind.Exit, 0), free];
        for (var c = 1; c < vcpus; c++)
        {
            setup[c] = [run0, new(OpKind.Kthread)];
            race[c] = [free];
        }

        var m = new Machine(k, new Linux61(), setup, procs);
        Assert.True(m.Run(new RoundRobinScheduler()), "the setup did not run to its end");
        m.Begin(race);
        return m;
    }

    private static object Flip(object value) => value switch
    {
        int i => i + 1,
        ulong u => u ^ 1,
        bool b => !b,
        IpiHandler h => h == IpiHandler.None ? IpiHandler.DropMmRefThisCpu : IpiHandler.None,
        _ => throw new InvalidOperationException($"no flip for {value.GetType()}"),
    };
}
