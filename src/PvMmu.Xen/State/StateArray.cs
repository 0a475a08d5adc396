using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PvMmu.Xen.State;

/// <summary>
/// One array of a model's explored state, as the model's declaration lists it (<see cref="Hypervisor.DeclaredState"/>):
/// its name, the live array, and how the fingerprint takes it. Snapshot, restore and fingerprint walk the
/// declaration, so an array is in all three or in none.
/// </summary>
public sealed class StateArray
{
    private StateArray(string name, Array array, int elementSize, StateRole role)
    {
        Name = name;
        Array = array;
        ElementSize = elementSize;
        Role = role;
        ByteLength = array.Length * elementSize;
    }

    public string Name { get; }

    /// <summary>The live array (never replaced: restores copy into it).</summary>
    public Array Array { get; }

    public int ElementSize { get; }

    public StateRole Role { get; }

    /// <summary>Its length in bytes (the array is never replaced, so never resized).</summary>
    public int ByteLength { get; }

    /// <summary>Its bytes, to copy, hash, or (in tests) flip.</summary>
    public Span<byte> Bytes => MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(Array), ByteLength);

    public static StateArray Of<T>(string name, T[] array, StateRole role = StateRole.Hashed)
        where T : unmanaged => new(name, array, Unsafe.SizeOf<T>(), role);

    public override string ToString() => Name;
}
