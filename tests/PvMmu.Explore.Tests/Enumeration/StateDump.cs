using System.Reflection;

namespace PvMmu.Explore.Tests.Enumeration;

/// <summary>
/// The whole of a model's state as bytes, read field by field by reflection from a snapshot, for an enumerator that
/// compares states in full instead of by the explorer's fingerprint. It knows nothing of which fields the
/// fingerprint takes: it takes every field of every object the snapshot reaches, except the ones named in
/// <see cref="NotState"/>, each with the reason it decides no next step. A field the model's own declaration
/// forgets therefore shows here as more states than the explorer counts.
/// </summary>
internal static class StateDump
{
    /// <summary>
    /// Fields that are bookkeeping, not state: tallies of what happened (they only ever grow, and no step reads
    /// them), logs of WARNs and oopses (reported, never read back by a step), and caches of hashes with the version
    /// numbers that say whether they are current (derived from the state itself).
    /// </summary>
    private static readonly string[] NotState =
    [
        "Counts", "Counters", "Events", "DirectHypercalls", "IpisSent", "Oopses", "Warnings", "WarningCount",
        "HistoryLength", "Generation", "Gen", "PageGen", "FramesGeneration", "FramesHashGeneration", "PinsHash", "RefsHash", "Hash",
    ];

    public static byte[] Of(object snapshot)
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        Write(w, snapshot, new Dictionary<object, int>(ReferenceEqualityComparer.Instance));
        w.Flush();
        return stream.ToArray();
    }

    private static bool Skipped(FieldInfo f)
    {
        // Auto-properties' backing fields are named <Name>k__BackingField.
        var name = f.Name.StartsWith('<') ? f.Name[1..f.Name.IndexOf('>', StringComparison.Ordinal)] : f.Name.TrimStart('_');
        return NotState.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(n + "Generation", StringComparison.OrdinalIgnoreCase)
            || (n == "Hash" && name.EndsWith("Hash", StringComparison.OrdinalIgnoreCase)));
    }

    private static void Write(BinaryWriter w, object? o, Dictionary<object, int> seen)
    {
        switch (o)
        {
            case null:
                w.Write((byte)0);
                return;
            case string s:
                w.Write((byte)1);
                w.Write(s);
                return;
            case Delegate:
                // Programs and handlers are code, the same in every state of a scenario.
                w.Write((byte)2);
                return;
        }

        var t = o.GetType();
        if (t.IsPrimitive || t.IsEnum)
        {
            w.Write((byte)3);
            w.Write(o switch
            {
                bool b => b ? 1UL : 0UL,
                double d => BitConverter.DoubleToUInt64Bits(d),
                float f => BitConverter.DoubleToUInt64Bits(f),
                ulong u => u,
                nuint u => u,
                _ => unchecked((ulong)Convert.ToInt64(t.IsEnum ? Convert.ChangeType(o, Enum.GetUnderlyingType(t), null) : o, null)),
            });
            return;
        }

        if (!t.IsValueType)
        {
            if (seen.TryGetValue(o, out var id))
            {
                w.Write((byte)4);
                w.Write(id);
                return;
            }

            seen[o] = seen.Count;
        }

        if (o is Array a)
        {
            w.Write((byte)5);
            w.Write(a.Length);
            if (t.GetElementType()!.IsPrimitive)
            {
                var bytes = new byte[Buffer.ByteLength(a)];
                Buffer.BlockCopy(a, 0, bytes, 0, bytes.Length);
                w.Write(bytes);
                return;
            }

            foreach (var e in a)
            {
                Write(w, e, seen);
            }

            return;
        }

        if (o is System.Collections.IEnumerable list and not System.Collections.IDictionary && t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
        {
            w.Write((byte)6);
            foreach (var e in list)
            {
                Write(w, e, seen);
            }

            w.Write((byte)7);
            return;
        }

        if (t.IsPointer || t == typeof(IntPtr) || t == typeof(UIntPtr))
        {
            throw new NotSupportedException($"{t} in a snapshot");
        }

        w.Write((byte)8);
        for (var type = t; type != null && type != typeof(object); type = type.BaseType)
        {
            foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).OrderBy(f => f.MetadataToken))
            {
                if (!Skipped(f))
                {
                    Write(w, f.GetValue(o), seen);
                }
            }
        }
    }
}
