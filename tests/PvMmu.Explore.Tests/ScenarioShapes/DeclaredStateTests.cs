using System.Reflection;
using PvMmu.Linux.Exit;
using PvMmu.Linux.Sched;

namespace PvMmu.Explore.Tests.ScenarioShapes;

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
        var m = PvMmu.Explore.Models.Scenarios.Build("lazy-exit", new Linux61(), 3)();

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
    /// enabled moves) or are fingerprinted apart (the gather lists).
    /// </summary>
    [Fact]
    public void EveryArrayFieldOfTheMachineIsDeclared()
    {
        var m = PvMmu.Explore.Models.Scenarios.Build("lazy-exit", new Linux61(), 2)();
        var declared = m.DeclaredState.Cast<object>().ToHashSet(ReferenceEqualityComparer.Instance);
        string[] notState = ["_choices", "_programs", "_ints", "_masks", "_bools", "_gather"];
        foreach (var f in typeof(Machine).GetFields(BindingFlags.Instance | BindingFlags.NonPublic))
        {
            if (!f.FieldType.IsArray || notState.Contains(f.Name))
            {
                continue;
            }

            Assert.True(declared.Contains(f.GetValue(m)!), $"Machine.{f.Name} is not in the declared state");
        }
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
