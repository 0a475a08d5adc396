using System.Reflection;

namespace PvMmu.Scheduling;

/// <summary>
/// The whole of a model's state as bytes, read field by field by reflection from a snapshot (or any object), for a
/// search that compares states in full instead of by the model's own fingerprint: the plain enumerator the tests
/// hold the explorer to. It knows nothing of which fields a model declares as its state or fingerprints: it takes
/// every field of every object the root reaches, except the bookkeeping fields the caller names (tallies, logs,
/// hash caches), so a field a model's declaration forgets shows as more distinct states than the explorer counts.
/// Slow by design (reflection, an array per state); never on a search's hot path.
/// </summary>
public static class StateBytes
{
    /// <summary>
    /// The bytes of every field reachable from <paramref name="root"/>, except fields whose name (without a leading
    /// underscore, or an auto-property's name) is one of <paramref name="bookkeeping"/>, ends in one of them followed
    /// by "Generation", or, for the name "Hash", ends in "Hash".
    /// </summary>
    public static byte[] Of(object root, IReadOnlyCollection<string> bookkeeping)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(bookkeeping);
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream);
        new Walk(w, bookkeeping).Write(root);
        w.Flush();
        return stream.ToArray();
    }

    /// <summary>One dump: the writer, the fields left out, and the objects already written (shared or cyclic).</summary>
    private sealed class Walk(BinaryWriter w, IReadOnlyCollection<string> bookkeeping)
    {
        private readonly Dictionary<object, int> _seen = new(ReferenceEqualityComparer.Instance);

        private bool Skipped(FieldInfo f)
        {
            // Auto-properties' backing fields are named <Name>k__BackingField.
            var name = f.Name.StartsWith('<') ? f.Name[1..f.Name.IndexOf('>', StringComparison.Ordinal)] : f.Name.TrimStart('_');
            return bookkeeping.Any(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)
                || name.EndsWith(n + "Generation", StringComparison.OrdinalIgnoreCase)
                || (n == "Hash" && name.EndsWith("Hash", StringComparison.OrdinalIgnoreCase)));
        }

        public void Write(object? o)
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
                if (_seen.TryGetValue(o, out var id))
                {
                    w.Write((byte)4);
                    w.Write(id);
                    return;
                }

                _seen[o] = _seen.Count;
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
                    Write(e);
                }

                return;
            }

            if (o is System.Collections.IEnumerable list and not System.Collections.IDictionary && t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))
            {
                w.Write((byte)6);
                foreach (var e in list)
                {
                    Write(e);
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
                        Write(f.GetValue(o));
                    }
                }
            }
        }
    }
}
