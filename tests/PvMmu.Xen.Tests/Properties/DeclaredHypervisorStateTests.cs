using System.Reflection;
using PvMmu.Xen.Frames;

namespace PvMmu.Xen.Tests.Properties;

/// <summary>
/// The hypervisor's explored state is declared once (<see cref="Hypervisor.DeclaredState"/>); snapshot, restore and the
/// fingerprint walk that declaration. A field left out would merge distinct states and make the search unsound.
/// </summary>
public sealed class DeclaredHypervisorStateTests
{
    /// <summary>A hypervisor with something in most of its arrays: tables pinned, base pointers loaded, the TLBs filled.</summary>
    private static Hypervisor Busy()
    {
        var m = new TestMachine(vcpus: 2);
        for (var i = 4; i < 12; i++)
        {
            m.H.Load(i % 2, m.DirectVa(m.G(i)), out _);
        }

        return m.H;
    }

    /// <summary>
    /// Flips each byte of each declared array in turn (xor 1): the fingerprint changes, and a restore from a snapshot
    /// taken before brings the byte back and the fingerprint with it.
    /// </summary>
    [Trait("Category", "Slow")]
    [Fact]
    public void FlippingAnyByteOfTheDeclaredStateChangesTheFingerprintAndARestoreUndoesIt()
    {
        var h = Busy();
        var snapshot = h.Snapshot();
        var original = h.Fingerprint();
        var flipped = 0;
        foreach (var a in h.DeclaredState)
        {
            for (var i = 0; i < a.ByteLength; i += a.ElementSize)
            {
                // A page index is hashed through the page it names: flipping one to another page changes the
                // fingerprint only if the pages differ, so these are flipped to "no contents" where they have some.
                var was = a.Bytes[i];
                if (a.Role == State.StateRole.PageIndex && ((int[])a.Array)[i / sizeof(int)] < 0)
                {
                    continue;
                }

                if (a.Role == State.StateRole.PageIndex)
                {
                    var index = (int[])a.Array;
                    var t = index[i / sizeof(int)];
                    if (h.Tables.PageHash(t) == PageTablePool.ZeroPageHash)
                    {
                        continue;
                    }

                    index[i / sizeof(int)] = -1;
                }
                else
                {
                    a.Bytes[i] ^= 1;
                }

                h.Touched();
                Assert.True(original != h.Fingerprint(), $"{a.Name}[{i / a.ElementSize}] changed and the fingerprint did not");
                h.Restore(snapshot);
                Assert.Equal(was, a.Bytes[i]);
                Assert.Equal(original, h.Fingerprint());
                flipped++;
            }
        }

        Assert.True(flipped > 1000, $"only {flipped} fields flipped");
    }

    /// <summary>
    /// Every array the hypervisor and its tables hold is in the declaration, found by reflection: an array added to
    /// the model but not to the declaration fails here. The other instance fields are named, each with why it is not
    /// state.
    /// </summary>
    [Fact]
    public void EveryArrayOfTheHypervisorIsDeclared()
    {
        var h = Busy();
        var declared = h.DeclaredState.Select(a => (object)a.Array).ToHashSet(ReferenceEqualityComparer.Instance);
        string[] notState =
        [
            "<Config>k__BackingField", "<Rules>k__BackingField", "<Events>k__BackingField", // configuration, and the tallies
            "Generation", "_nextGeneration", "_fingerprintGeneration", "_fingerprint", // versions and the cached fingerprint
            "CurrentVcpu", "FlushedBeforeClaim", // set by the call that reads them
            "<HostCrash>k__BackingField", // a finding, reported
            "<DeclaredState>k__BackingField", "_stateBytes", // the declaration itself
            "Tables", // the page contents, declared through page_info.contents
            "Frames", "Vcpus", "Tlb", "Domains", // walked below
            "Capacity", "LinearCapacity", // sizes, fixed at construction
        ];
        var missing = new List<string>();
        foreach (var owner in new object[] { h, h.Frames, h.Vcpus, h.Tlb, h.Domains })
        {
            foreach (var f in owner.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (f.FieldType.IsArray ? !declared.Contains(f.GetValue(owner)!) : !notState.Contains(f.Name))
                {
                    missing.Add($"{owner.GetType().Name}.{f.Name}");
                }
            }
        }

        Assert.Empty(missing);
    }
}
